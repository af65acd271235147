#!/bin/sh
# Install, with apt-get, what a fresh Debian 12 machine lacks to build and test
# petrel. Idempotent and quick when everything is already there.
# SPDX-License-Identifier: ISC
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev llvm
libevent-dev libssl-dev libsqlite3-dev libcrypt-dev libcmocka-dev
libgmime-3.0-dev python3 swaks curl openssl postfix
libc-ares-dev dnsmasq-base libjansson-dev libgumbo-dev fetchmail isync
chromium postgresql libpq-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi

echo "deps: installing$missing" >&2
# Keep package post-install scripts from starting the system's own Postfix:
# it would hold port 25 and is not what petrel's benchmarks start themselves.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "$made_policy" -eq 1 ] && $SUDO rm -f "$policy"
exit 0
