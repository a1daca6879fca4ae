"""galera.py: a throwaway MariaDB Galera cluster on 127.0.0.1 for scale-out tests.

Stdlib only. See /work/shared/reference/galera.md for the measured facts behind the
settings (rsync SST as user mysql, tuned evs.* timeouts, recover + IST after kill -9).

    c = Cluster(tmpdir); c.start()
    c.sql(1, "CREATE TABLE ...", db="app"); c.kill9(2); c.restart_after_crash(2)
    c.wait_synced(2); assert c.ist_used(2); c.stop_all()

Every process is started by this module and stopped by its PID; all files live under
base_dir (each node has its own tmpdir, so the SST scripts' mktemp stays inside too).
"""
import os
import pwd
import random
import re
import signal
import socket
import subprocess
import time

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
# Tuned failure detection (galera.md gotcha 3): ~3 s commit stall after a kill -9
# instead of ~6 s. Going below suspect 2 s gave false suspicions on a 2-core box.
EVS = ("evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;"
       "evs.inactive_timeout=PT4S;evs.install_timeout=PT4S")
STEP_DEADLINE = 120.0


class SQLError(RuntimeError):
    """A failed mariadb client call; errno is the server/client error code or None."""

    def __init__(self, node, errno, message):
        super().__init__(f"node {node}: {message}")
        self.node, self.errno, self.message = node, errno, message


def _port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # No SO_REUSEADDR: also refuse ports with lingering TIME_WAIT sockets.
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _free_ports(count):
    """Random free loopback ports below the ephemeral range, so that outgoing
    connections (which take ephemeral ports) can never steal one before we bind it."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo = int(f.read().split()[0])
    hi = max(lo - 1, 10001)
    chosen = []
    for _ in range(10000):
        p = random.randint(10000, hi)
        if p not in chosen and _port_free(p):
            chosen.append(p)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"could not find {count} free ports in [10000, {hi}]")


def _tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


class Cluster:
    def __init__(self, base_dir, n=3, extra_cnf=""):
        self.base = os.path.abspath(base_dir)
        self.n = n
        self.extra_cnf = extra_cnf
        # Running as root: servers must run as mysql, else the rsync daemon of the SST
        # drops to nobody and cannot write ibdata1 (galera.md gotcha 1).
        self.user = "mysql" if os.geteuid() == 0 else None
        ports = _free_ports(4 * n)
        # per node: client, gcomm, IST, SST
        self.ports = {i: ports[4 * (i - 1):4 * i] for i in range(1, n + 1)}
        self.procs = {}        # i -> Popen of mariadbd
        self.log_offset = {}   # i -> error.log size at the last start (for ist_used)
        if len(self.socket(n)) > 107:  # sun_path limit; mariadbd would fail obscurely
            raise RuntimeError(f"base_dir path too long for a unix socket: {self.base}")
        os.makedirs(self.base, exist_ok=True)
        if self.user:
            self._make_reachable()
        for i in range(1, n + 1):
            os.makedirs(os.path.join(self.dir(i), "data"), exist_ok=True)
            os.makedirs(os.path.join(self.dir(i), "tmp"), exist_ok=True)
            with open(self.cnf(i), "w") as f:
                f.write(self._cnf_text(i))
        if self.user:
            self._chown_for_mysql()

    # ---- layout -------------------------------------------------------------
    def dir(self, i):
        return os.path.join(self.base, f"n{i}")

    def cnf(self, i):
        return os.path.join(self.dir(i), "my.cnf")

    def socket(self, i):
        return os.path.join(self.dir(i), "sock")

    def port(self, i):
        return self.ports[i][0]

    def error_log(self, i):
        return os.path.join(self.dir(i), "error.log")

    def _cnf_text(self, i):
        d = self.dir(i)
        client, gcomm, ist, sst = self.ports[i]
        peers = ",".join(f"127.0.0.1:{self.ports[j][1]}" for j in range(1, self.n + 1))
        lines = [
            "[mysqld]",
            f"datadir={d}/data", f"socket={d}/sock", f"pid-file={d}/mariadbd.pid",
            f"log-error={d}/error.log", f"tmpdir={d}/tmp",
            f"port={client}", "bind-address=127.0.0.1", "skip-name-resolve",
        ]
        if self.user:
            lines.append(f"user={self.user}")
        lines += [
            "binlog_format=ROW", "default_storage_engine=InnoDB",
            "innodb_autoinc_lock_mode=2", "innodb_buffer_pool_size=64M",
            "innodb_flush_log_at_trx_commit=2",
            # A few seconds instead of 50: bounds the rare "BF lock wait long" stall (§4).
            "innodb_lock_wait_timeout=10",
            "character-set-server=utf8mb4", "collation-server=utf8mb4_unicode_ci",
            "max_connections=300",
            "wsrep_on=ON", f"wsrep_provider={PROVIDER}", "wsrep_cluster_name=galtest",
            f"wsrep_cluster_address=gcomm://{peers}",
            f"wsrep_node_name=node{i}", f"wsrep_node_address=127.0.0.1:{gcomm}",
            f"wsrep_node_incoming_address=127.0.0.1:{client}",
            "wsrep_sst_method=rsync", f"wsrep_sst_receive_address=127.0.0.1:{sst}",
            # listen_addr explicit: the default would bind 0.0.0.0.
            f'wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:{gcomm};'
            f'ist.recv_addr=127.0.0.1:{ist};gcache.size=64M;{EVS}"',
        ]
        return "\n".join(lines) + "\n" + self.extra_cnf.strip() + "\n"

    def _make_reachable(self):
        """mysql must be able to traverse base_dir (mkdtemp makes it 0700 root): add
        only the x bits rather than taking the caller's directory over. A parent it
        cannot enter (e.g. /root) fails here, not as a cryptic install-db error."""
        pw = pwd.getpwnam(self.user)
        os.chmod(self.base, (os.stat(self.base).st_mode & 0o7777) | 0o011)
        d = os.path.dirname(self.base)
        while True:
            st = os.stat(d)
            bit = (0o100 if st.st_uid == pw.pw_uid else
                   0o010 if st.st_gid == pw.pw_gid else 0o001)
            if not st.st_mode & bit:
                raise RuntimeError(f"user {self.user} cannot enter {d}; put base_dir "
                                   "somewhere it can reach (e.g. under /tmp)")
            if d == "/":
                return
            d = os.path.dirname(d)

    def _chown_for_mysql(self):  # before install-db, which then runs as mysql
        pw = pwd.getpwnam(self.user)
        for i in range(1, self.n + 1):
            for root, dirs, files in os.walk(self.dir(i)):
                for name in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(name, pw.pw_uid, pw.pw_gid)

    # ---- process control ------------------------------------------------------
    def _launch(self, i, *args):
        self.log_offset[i] = os.path.getsize(self.error_log(i)) if os.path.exists(self.error_log(i)) else 0
        out = open(os.path.join(self.dir(i), "stdout.log"), "ab")
        try:
            # Own session: Ctrl-C on the test does not hit the servers, and leftover
            # SST children can be reaped by process group (pgid == our PID).
            self.procs[i] = subprocess.Popen(
                ["mariadbd", f"--defaults-file={self.cnf(i)}", *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            out.close()

    def _fail(self, i, what):
        raise RuntimeError(f"node {i}: {what}\n--- tail of {self.error_log(i)} ---\n"
                           + _tail(self.error_log(i)))

    def start(self):
        d1 = self.dir(1)
        with open(os.path.join(d1, "install.log"), "wb") as log:
            r = subprocess.run(
                ["mariadb-install-db", f"--defaults-file={self.cnf(1)}",
                 "--auth-root-authentication-method=socket", "--skip-test-db"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                timeout=STEP_DEADLINE)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed:\n" + _tail(os.path.join(d1, "install.log")))
        self._launch(1, "--wsrep-new-cluster")
        self.wait_synced(1, STEP_DEADLINE)
        # Joiners with empty datadirs get a full rsync SST; the donor serves them in turn.
        for i in range(2, self.n + 1):
            self._launch(i)
        for i in range(2, self.n + 1):
            self.wait_synced(i, STEP_DEADLINE)
        self.wait_size(1, self.n, STEP_DEADLINE)
        # The donor (node 1) shifts back to Synced on its own; check everyone once more.
        for i in range(1, self.n + 1):
            self.wait_synced(i, STEP_DEADLINE)

    @staticmethod
    def _exited(p):
        """Has p exited? Checked with WNOWAIT so the zombie keeps its PID (and so the
        process group id) reserved until _reap(); see there."""
        if p.returncode is not None:
            return True
        try:
            return os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def alive(self, i):
        p = self.procs.get(i)
        return p is not None and not self._exited(p)

    def _reap(self, p):
        if p.returncode is None:
            os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
            # Kill SST script / rsync daemon children a killed server may leave behind.
            # Only safe while the unreaped zombie still holds the group id.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        p.wait()

    def kill9(self, i):
        p = self.procs.get(i)
        if p is None:
            return
        if not self._exited(p):
            os.kill(p.pid, signal.SIGKILL)
        self._reap(p)

    def stop(self, i, timeout=60):
        p = self.procs.get(i)
        if p is None:
            return
        if not self._exited(p):
            os.kill(p.pid, signal.SIGTERM)
            end = time.monotonic() + timeout
            while not self._exited(p) and time.monotonic() < end:
                time.sleep(0.1)
            if not self._exited(p):
                os.kill(p.pid, signal.SIGKILL)
        self._reap(p)

    def stop_all(self):
        for i in range(self.n, 0, -1):
            self.stop(i)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()

    def recover_position(self, i):
        """Run --wsrep-recover on a stopped node; return '<uuid>:<seqno>' or None."""
        if self.alive(i):
            raise RuntimeError(f"node {i} is running")
        log = os.path.join(self.dir(i), "recover.log")
        if os.path.exists(log):
            os.unlink(log)
        subprocess.run(["mariadbd", f"--defaults-file={self.cnf(i)}", "--wsrep-recover",
                        f"--log-error={log}"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=STEP_DEADLINE)
        m = re.findall(r"WSREP: Recovered position: (\S+)", _tail(log, 10**6))
        return m[-1] if m else None

    def restart_after_crash(self, i):
        """After kill -9: recover the position, then start with it so the node asks for
        IST only. A plain restart sees seqno -1 in grastate.dat and does a full SST
        (with ~2 s of FLUSH TABLES WITH READ LOCK on the donor). Does not wait."""
        pos = self.recover_position(i)
        if pos and not pos.endswith(":-1"):
            self._launch(i, f"--wsrep-start-position={pos}")
        else:
            self._launch(i)
        return pos

    def restart(self, i):
        """Plain start of a stopped node (after a graceful stop(): IST)."""
        if self.alive(i):
            raise RuntimeError(f"node {i} is running")
        self._launch(i)

    # ---- SQL and status ------------------------------------------------------------
    def sql(self, i, statement, db=None, timeout=STEP_DEADLINE):
        """Run statement(s) as root over node i's unix socket; return stdout (-N -B).
        Raises SQLError (errno 1213, 1047, 2002, 2013, ...) on failure."""
        cmd = ["mariadb", "--no-defaults", "-S", self.socket(i), "-uroot", "-N", "-B",
               "-e", statement]
        if db:
            cmd.append(db)
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SQLError(i, None, f"timeout after {timeout}s: {statement[:200]}")
        if r.returncode != 0:
            m = re.search(r"ERROR (\d+)", r.stderr)
            raise SQLError(i, int(m.group(1)) if m else None, r.stderr.strip())
        return r.stdout

    def sql_retry(self, i, statement, db=None, timeout=60,
                  errnos=(1047, 1213, 1205, 2002, 2006, 2013)):
        """sql() retried on transient Galera/connection errors until timeout. Only for
        idempotent statements (IF NOT EXISTS, INSERT IGNORE, ...): after 2013 the first
        attempt may have committed."""
        end = time.monotonic() + timeout
        while True:
            try:
                return self.sql(i, statement, db)
            except SQLError as e:
                if e.errno not in errnos or time.monotonic() > end:
                    raise
                time.sleep(0.2 + random.random() * 0.3)

    def status(self, i, name):
        """SHOW GLOBAL STATUS value, or None if the node does not answer."""
        try:
            out = self.sql(i, f"SHOW GLOBAL STATUS LIKE '{name}'", timeout=30)
        except SQLError:
            return None
        parts = out.strip().split("\t")
        return parts[1] if len(parts) == 2 else None

    def _wait(self, i, cond, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if i in self.procs and not self.alive(i):
                self._fail(i, f"mariadbd exited while waiting for {what}")
            if cond():
                return
            time.sleep(0.2)
        self._fail(i, f"not {what} after {timeout}s")

    def wait_synced(self, i, timeout=120):
        """Synced and wsrep_ready=ON (a non-Primary node answers queries with 1047)."""
        self._wait(i, lambda: self.status(i, "wsrep_local_state_comment") == "Synced"
                   and self.status(i, "wsrep_ready") == "ON", timeout, "Synced")

    def wait_size(self, i, size, timeout=60):
        self._wait(i, lambda: self.status(i, "wsrep_cluster_size") == str(size),
                   timeout, f"cluster size {size}")

    def log_since_start(self, i):
        with open(self.error_log(i), errors="replace") as f:
            f.seek(self.log_offset.get(i, 0))
            return f.read()

    def ist_used(self, i):
        """True if node i's last start caught up by IST alone, without a full SST.
        Verified markers: 'Prepared IST receiver' shows up in both cases, and so does
        galera's 'SST received' (an IST goes through the SST script in bypass mode).
        What differs is the rsync script's last line: 'rsync IST completed on joiner'
        versus 'rsync SST completed on joiner'."""
        log = self.log_since_start(i)
        ist = "Prepared IST receiver" in log and "IST completed on joiner" in log
        sst = "SST completed on joiner" in log or "Transfer of normal directories" in log
        return ist and not sst

    # ---- helpers for test data -------------------------------------------------------
    @staticmethod
    def _ident(name):
        return "`" + name.replace("`", "``") + "`"

    @staticmethod
    def _str(value):
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"

    def checksums(self, i, schema):
        """{table: (row count, CHECKSUM TABLE)} for every base table of schema on node i,
        read after wsrep_sync_wait=1 so the node has applied everything committed."""
        tables = self.sql(i, "SET SESSION wsrep_sync_wait=1; SELECT table_name FROM "
                             "information_schema.tables WHERE table_schema="
                          + self._str(schema) + " AND table_type='BASE TABLE' "
                          "ORDER BY table_name").splitlines()
        if not tables:
            return {}
        stmts = ["SET SESSION wsrep_sync_wait=1"]
        for t in tables:
            q = f"{self._ident(schema)}.{self._ident(t)}"
            stmts += [f"SELECT COUNT(*) FROM {q}", f"CHECKSUM TABLE {q}"]
        lines = self.sql(i, "; ".join(stmts)).splitlines()
        if len(lines) != 2 * len(tables):
            raise RuntimeError(f"node {i}: unexpected checksum output: {lines!r}")
        result = {}
        for k, t in enumerate(tables):
            count = int(lines[2 * k])
            csum = lines[2 * k + 1].split("\t")[-1]
            result[t] = (count, None if csum == "NULL" else int(csum))
        return result

    def create_app_user(self, user, password, schema):
        """Schema + user@'127.0.0.1' with ALL on it, created on node 1 (DDL replicates)."""
        who = f"{self._str(user)}@'127.0.0.1'"
        self.sql_retry(1, f"CREATE DATABASE IF NOT EXISTS {self._ident(schema)}; "
                          f"CREATE USER IF NOT EXISTS {who} IDENTIFIED BY "
                          f"{self._str(password)}; "
                          f"GRANT ALL ON {self._ident(schema)}.* TO {who}")
