"""A private PostgreSQL server for the tests: initdb (as the postgres user,
which initdb and postgres require when we are root) into a temporary
directory, started with pg_ctl on a free loopback port, its unix socket
in that directory; a role `petrel` with a password (scram-sha-256 over
TCP) owns the databases the tests create. Stopped by its PID.

    with PgServer() as pg:
        url = pg.createdb("t1")   # postgresql://petrel:...@127.0.0.1:PORT/t1

SPDX-License-Identifier: ISC
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "petrel-test-pw"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self):
        self.dir = None
        self.port = None
        self.pid = None

    def _as_pg(self, argv, **kw):
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, **kw)

    def psql(self, sql, db="postgres"):
        return self._as_pg([BIN + "/psql", "-X", "-q", "-v",
                            "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                            str(self.port), "-U", "postgres", "-d", db,
                            "-c", sql]).stdout.decode()

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="petrel-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.dir, "data")
        self._as_pg([BIN + "/initdb", "-D", data, "-U", "postgres",
                     "-E", "UTF8", "--locale=C", "-A", "trust",
                     "--no-sync"])
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "host all postgres 127.0.0.1/32 trust\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        self.port = free_port()
        self.server_start()
        self.psql("CREATE ROLE petrel LOGIN PASSWORD '%s'" % PASSWORD)
        return self

    def url(self, db, password=PASSWORD):
        return "postgresql://petrel:%s@127.0.0.1:%d/%s" % (
            password, self.port, db)

    def createdb(self, name, tablespace=None):
        self.psql("CREATE DATABASE %s OWNER petrel%s" % (
            name, " TABLESPACE " + tablespace if tablespace else ""))
        return self.url(name)

    def server_stop(self):
        """Stop the server, keeping its data (a database away)."""
        self._as_pg([BIN + "/pg_ctl", "-D", os.path.join(self.dir, "data"),
                     "-w", "-m", "fast", "stop"])
        self.pid = None

    def server_start(self):
        """Start it again on the same port."""
        data = os.path.join(self.dir, "data")
        self._as_pg([BIN + "/pg_ctl", "-D", data, "-w", "-t", "60",
                     "-l", os.path.join(self.dir, "log"), "-o",
                     "-p %d -k %s -c listen_addresses=127.0.0.1 "
                     "-c max_connections=200" % (self.port, self.dir),
                     "start"])
        with open(os.path.join(data, "postmaster.pid")) as f:
            self.pid = int(f.readline())

    def stop(self):
        if self.dir is None:
            return
        data = os.path.join(self.dir, "data")
        try:
            self._as_pg([BIN + "/pg_ctl", "-D", data, "-w", "-m", "fast",
                         "stop"])
        except subprocess.CalledProcessError:
            if self.pid:
                try:
                    os.kill(self.pid, 15)
                    time.sleep(1)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
