"""A private PostgreSQL server for petrel's cluster tests.

Debian's postgresql package gives the binaries; this starts a throw-away
cluster in a temporary directory (initdb, then postgres on a free loopback
port with its unix socket in that directory), with a role and a database
for petrel that need a password over TCP. PostgreSQL refuses to run as
root, so when the tests run as root the server runs as the `postgres`
user. Everything is stopped by PID.

    pg = PgServer(workdir).start()
    pg.url            # postgresql://petrel:...@127.0.0.1:PORT/petrel
    pg.sql("SELECT 1")
    pg.restart(); pg.stop()
SPDX-License-Identifier: ISC
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time

from harness import free_port, timeout

PASSWORD = "pg-s3cret"


def _bindir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "postgres"), os.X_OK):
            return d
    return None


BINDIR = _bindir()


def available():
    return BINDIR is not None


class PgServer:
    def __init__(self, workdir, user="petrel", database="petrel"):
        self.dir = os.path.join(workdir, "pg")
        self.data = os.path.join(self.dir, "data")
        self.user = user
        self.database = database
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(workdir, "postgres.log")
        self._log = None
        os.makedirs(self.dir, exist_ok=True)
        # Popen arguments that run a program as postgres when we are root
        # (directly, so that proc.pid is the server itself).
        self._as = {}
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            # The test's workdir is mkdtemp'd 0700 by root: let postgres in.
            os.chmod(workdir, 0o711)
            self._as = {"user": pw.pw_uid, "group": pw.pw_gid,
                        "extra_groups": []}

    @property
    def url(self):
        return "postgresql://%s:%s@127.0.0.1:%d/%s" % (
            self.user, PASSWORD, self.port, self.database)

    def url_with(self, password=None, port=None):
        return "postgresql://%s:%s@127.0.0.1:%d/%s" % (
            self.user, PASSWORD if password is None else password,
            self.port if port is None else port, self.database)

    def _run(self, argv, input=None):
        p = subprocess.run(argv, input=input, capture_output=True,
                           timeout=timeout(120), cwd=self.dir, **self._as)
        if p.returncode != 0:
            raise AssertionError("%s failed: %s" % (
                " ".join(argv), (p.stdout + p.stderr).decode(
                    errors="replace")))
        return p.stdout.decode(errors="replace")

    def start(self):
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self._run([os.path.join(BINDIR, "initdb"), "-D", self.data,
                       "-A", "trust", "-U", "postgres", "--no-sync",
                       "-E", "UTF8", "--locale=C"])
            with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
                # The unix socket (the harness's own psql) trusts; petrel
                # comes over TCP and must give its password.
                f.write("local all all trust\n"
                        "host all all 127.0.0.1/32 scram-sha-256\n"
                        "host all all ::1/128 scram-sha-256\n")
            self._launch()
            self.sql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (
                self.user, PASSWORD), db="postgres")
            self.sql("CREATE DATABASE %s OWNER %s" % (
                self.database, self.user), db="postgres")
        else:
            self._launch()
        return self

    def _launch(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BINDIR, "postgres"), "-D", self.data,
                        "-p", str(self.port), "-k", self.dir,
                        "-c", "listen_addresses=127.0.0.1",
                        "-c", "synchronous_commit=on", "-c", "fsync=on",
                        "-c", "max_connections=200"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            cwd=self.dir, **self._as)
        deadline = time.monotonic() + timeout(30)
        while time.monotonic() < deadline:
            p = subprocess.run([
                os.path.join(BINDIR, "pg_isready"), "-q", "-h", self.dir,
                "-p", str(self.port)], capture_output=True)
            if p.returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("postgres did not start:\n" + self.log_tail())

    def sql(self, statement, db=None):
        """Run statement through psql over the unix socket; its output."""
        return self._run([os.path.join(BINDIR, "psql"), "-X", "-q", "-A",
                          "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                          "-p", str(self.port), "-U", "postgres",
                          "-d", db or self.database, "-c", statement])

    def stop(self, mode=signal.SIGINT):
        """Stop the server by its PID (SIGINT: PostgreSQL's fast shutdown)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(mode)
        try:
            self.proc.wait(timeout=timeout(60))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def restart(self, down_for=0.0):
        self.stop()
        time.sleep(down_for)
        self._launch()

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def cleanup(self):
        self.stop()
        if os.environ.get("PETREL_KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
