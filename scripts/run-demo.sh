#!/bin/sh
# `make run`: start petrel on its default loopback ports with data in ./var
# and a demo account, and say how to connect a mail client.
# SPDX-License-Identifier: ISC
set -eu
cd "$(dirname "$0")/.."

demo_domain=example.test
demo_user=demo@$demo_domain
demo_pass=demo

if ! ./petrel domain list 2>/dev/null | grep -qx "$demo_domain"; then
	./petrel domain add "$demo_domain"
fi
if ! ./petrel user list 2>/dev/null | grep -qx "$demo_user"; then
	echo "$demo_pass" | ./petrel user add "$demo_user"
fi

cat <<TXT
petrel is starting with its data in ./var (stop it with Ctrl-C).

  demo account   $demo_user  password: $demo_pass
  SMTP           127.0.0.1 port 2525 (STARTTLS offered, self-signed)
  submission     127.0.0.1 port 2587 (STARTTLS, AUTH), 2465 (TLS)
  POP3           127.0.0.1 port 2110 (STLS offered), POP3S port 2995
  IMAP           127.0.0.1 port 2143 (STARTTLS offered), IMAPS port 2993
  webmail        http://127.0.0.1:8080/

Try it:
  swaks --server 127.0.0.1:2525 --to $demo_user --from you@example.org
  curl -s pop3://127.0.0.1:2110/1 -u $demo_user:$demo_pass

TXT
exec ./petrel serve
