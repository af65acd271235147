"""A private Dovecot (IMAP, POP3, LMTP, auth) and Postfix (submission with
STARTTLS and SASL through Dovecot, delivering by LMTP) on free loopback
ports under one temporary directory, for running the mail client tests
against servers other than petrel. Used by tests/mail/run when both are
installed; everything started here is stopped by PID.
SPDX-License-Identifier: ISC
"""

import os
import shutil
import signal
import subprocess
import time

import harness

DOVECOT_CONF = """\
base_dir = {d}/dv-run
state_dir = {d}/dv-state
log_path = {d}/dovecot.log
instance_name = petrel-mailtest-{port_imap}
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{d}/mail/%u
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 65534
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port_imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {port_pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port_lmtp}
  }}
}}
service auth {{
  inet_listener auth {{
    address = 127.0.0.1
    port = {port_auth}
  }}
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    auto = subscribe
    special_use = \\Sent
  }}
}}
"""

POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {d}/pf-queue
data_directory = {d}/pf-data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = pf.example.test
mydestination =
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = {domain}
virtual_transport = lmtp:inet:127.0.0.1:{port_lmtp}
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{port_auth}
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
smtputf8_enable = no
"""


def available():
    return all(shutil.which(p) for p in ("dovecot", "postfix", "postconf"))


def master_cf(port):
    """Debian's master.cf without chroot, its smtp listener replaced by a
    submission one on port."""
    out = []
    with open("/etc/postfix/master.cf") as f:
        for line in f:
            fields = line.split()
            if line.startswith("smtp ") and "inet" in fields:
                line = ("127.0.0.1:%d inet n - n - - smtpd\n"
                        "  -o smtpd_tls_security_level=encrypt\n"
                        "  -o smtpd_sasl_auth_enable=yes\n"
                        "  -o smtpd_relay_restrictions="
                        "permit_sasl_authenticated,reject\n" % port)
            elif (line[:1].strip() and not line.startswith("#")
                  and len(fields) >= 8):
                fields[4] = "n"
                line = " ".join(fields) + "\n"
            out.append(line)
    return "".join(out)


class DovecotPostfix:
    """Users are added before start(); ports like petrel's harness."""

    def __init__(self, tmp, cert, key):
        self.d = os.path.join(tmp, "ext")
        os.makedirs(self.d)
        for sub in ("mail", "home"):
            os.makedirs(os.path.join(self.d, sub))
            shutil.chown(os.path.join(self.d, sub), "nobody", "nogroup")
        os.makedirs(os.path.join(self.d, "pf-etc"))
        os.makedirs(os.path.join(self.d, "pf-data"))
        os.makedirs(os.path.join(self.d, "pf-queue"))
        shutil.chown(os.path.join(self.d, "pf-data"), "postfix")
        for p in (tmp, self.d):
            os.chmod(p, 0o755)
        self.ports = {k: harness.free_port() for k in
                      ("imap", "pop3", "submission", "lmtp", "auth")}
        kw = {"d": self.d, "cert": cert, "key": key,
              "domain": harness.DOMAIN}
        kw.update(("port_" + k, v) for k, v in self.ports.items())
        self.dv_conf = os.path.join(self.d, "dovecot.conf")
        with open(self.dv_conf, "w") as f:
            f.write(DOVECOT_CONF.format(**kw))
        self.pf_etc = os.path.join(self.d, "pf-etc")
        with open(os.path.join(self.pf_etc, "main.cf"), "w") as f:
            f.write(POSTFIX_MAIN.format(**kw))
        with open(os.path.join(self.pf_etc, "master.cf"), "w") as f:
            f.write(master_cf(self.ports["submission"]))
        self.dovecot = None
        self.pf_pid = None

    def add_user(self, local, password=harness.PASSWORD):
        address = "%s@%s" % (local, harness.DOMAIN)
        with open(os.path.join(self.d, "users"), "a") as f:
            f.write("%s:{PLAIN}%s\n" % (address, password))
        return address

    def start(self):
        self.dovecot = subprocess.Popen(
            ["dovecot", "-F", "-c", self.dv_conf],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        p = subprocess.run(
            ["script", "-qc", "postfix -c %s start" % self.pf_etc,
             "/dev/null"], capture_output=True, timeout=60)
        pidfile = os.path.join(self.d, "pf-queue", "pid", "master.pid")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.listening() and os.path.exists(pidfile):
                with open(pidfile) as f:
                    self.pf_pid = int(f.read().split()[0])
                return
            time.sleep(0.1)
        raise AssertionError("dovecot/postfix did not start: %s" %
                             p.stdout.decode(errors="replace"))

    def listening(self):
        import socket
        for k in ("imap", "pop3", "submission"):
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", self.ports[k]))
            except OSError:
                return False
            finally:
                s.close()
        return True

    def stop(self):
        if self.pf_pid:
            try:
                os.kill(self.pf_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(100):
                try:
                    os.kill(self.pf_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        if self.dovecot:
            self.dovecot.terminate()
            try:
                self.dovecot.wait(10)
            except subprocess.TimeoutExpired:
                self.dovecot.kill()
