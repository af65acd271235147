"""Dovecot on loopback with a temporary configuration, for comparing
petrel's IMAP answers with Dovecot's (Debian's dovecot-imapd; nothing is
installed here) and for recording them as fixtures.
SPDX-License-Identifier: ISC
"""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import lib

CONF = """base_dir = %(root)s/run
state_dir = %(root)s/state
instance_name = petrel-imap-test
protocols = imap
listen = 127.0.0.1
log_path = %(root)s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%(root)s/mail/%%n
mail_uid = %(uid)s
mail_gid = %(gid)s
first_valid_uid = %(uid)s
first_valid_gid = %(gid)s
default_internal_user = %(user)s
default_login_user = %(user)s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %(root)s/users
}
userdb {
  driver = static
  args = uid=%(uid)s gid=%(gid)s home=%(root)s/home/%%n
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %(port)d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
"""


def available():
    """Dovecot is installed (IMAP_TEST_NO_DOVECOT=1 says to use the
    recorded fixtures anyway)."""
    if os.environ.get("IMAP_TEST_NO_DOVECOT") == "1":
        return False
    return shutil.which("dovecot") or os.path.exists("/usr/sbin/dovecot")


class Dovecot:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="petrel-dovecot-")
        os.chmod(self.root, 0o755)
        self.port = lib.free_port()
        # Dovecot refuses uid 0 for mail: use Debian's "mail" user.
        pw = pwd.getpwnam("mail")
        for sub in ("mail", "home"):
            os.makedirs(os.path.join(self.root, sub))
            os.chown(os.path.join(self.root, sub), pw.pw_uid, pw.pw_gid)
        with open(os.path.join(self.root, "dovecot.conf"), "w") as f:
            f.write(CONF % {"root": self.root, "port": self.port,
                            "uid": pw.pw_uid, "gid": pw.pw_gid,
                            "user": "dovenull"})
        with open(os.path.join(self.root, "users"), "w") as f:
            f.write("test:{PLAIN}%s\n" % lib.PASSWORD)
        self.conf = os.path.join(self.root, "dovecot.conf")

    def start(self):
        subprocess.check_call(["dovecot", "-c", self.conf])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                M = lib.imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
                M.logout()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("dovecot did not start: " +
                             open(os.path.join(self.root, "dovecot.log")).read())

    def stop(self):
        subprocess.call(["dovecot", "-c", self.conf, "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    def imap(self):
        M = lib.imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        M.login("test", lib.PASSWORD)
        return M
