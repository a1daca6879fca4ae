"""scale_stack.py: billsync on a three-node Galera cluster, as doc/scale-out.md deploys it.

The local stack (conf/stack.py) with its single MariaDB replaced by tests/scale/galera.py's
cluster: two web pools (web1 on node 1, web2 on node 2, each listing the others after its own)
behind one nginx upstream, three worker pools (workerN on node N), the API sandboxes and the SMTP
sink as usual. Every process is started here and stopped by its PID."""
import os
import secrets
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "conf"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import stack as stackmod  # noqa: E402
from billsync_test import children_of  # noqa: E402

WEB_POOLS = (1, 2)              # pool number = the node it connects to first
WORKER_POOLS = (1, 2, 3)


class ScaleStack(stackmod.Stack):
    def __init__(self, base, cluster, settings):
        super().__init__(base, settings=settings, seed_demo=False)
        self.cluster = cluster
        self.extra_env = {}
        self.first_node = {}      # pool name -> the node it lists first

    def env(self):
        e = super().env()
        e.update(self.extra_env)
        return e

    def node_list(self, first, only=None):
        """db.host for a pool: its node first, then the others in order (or only these)."""
        nodes = only or [first] + [i for i in range(1, self.cluster.n + 1) if i != first]
        return ",".join(f"127.0.0.1:{self.cluster.port(i)}" for i in nodes)

    def live_node(self):
        for i in range(1, self.cluster.n + 1):
            if self.cluster.alive(i) and self.cluster.status(i, "wsrep_ready") == "ON":
                return i
        raise RuntimeError("no Galera node is ready")

    def _mysql(self, sql, db=None):
        """As root on a node that is up, reading causally (what any node committed). A
        statement rolled back by a certification conflict with the product's writes (1213) is
        run again, as the product's own db.c does."""
        return self.cluster.sql_retry(self.live_node(), "SET SESSION wsrep_sync_wait=1; " + sql, db,
                                      errnos=(1213, 1205, 1047))

    # the database: the cluster, started by the caller ----------------------------------------
    def start_mariadb(self):
        pass

    def ensure_database(self):
        pw = secrets.token_urlsafe(24)
        self.cluster.create_app_user("billsync", pw, "billsync")
        self.cluster.sql_retry(1, "GRANT ALL ON `billsync\\_%`.* TO 'billsync'@'127.0.0.1'")
        return pw

    def write_config(self, db_password):
        self.settings["db.host"] = self.node_list(1)
        super().write_config(db_password)

    # pools -----------------------------------------------------------------------------------
    def _spawn_pool(self, name, argv, env):
        self.extra_env = env
        try:
            return self._spawn(name, argv)
        finally:
            self.extra_env = {}

    def fastcgi_sockets(self):
        return [self.path("run", f"web{i}.sock") for i in WEB_POOLS]

    def start_web_pool(self, i, only=None):
        sock = self.path("run", f"web{i}.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self._spawn_pool(f"web{i}", [os.path.join(ROOT, "bin", "billsync-web")],
                         {"BILLSYNC_WEB_SOCKET": sock, "BILLSYNC_DB_HOST": self.node_list(i, only)})
        self.wait_service(f"web{i}", lambda: os.path.exists(sock), 30, f"web pool {i}")

    def start_worker_pool(self, i, only=None):
        self._spawn_pool(f"worker{i}", [os.path.join(ROOT, "bin", "billsync-worker")],
                         {"BILLSYNC_DB_HOST": self.node_list(i, only)})

    def start_web(self):
        for i in WEB_POOLS:
            self.start_web_pool(i)

    def start_worker(self):
        for i in WORKER_POOLS:
            self.start_worker_pool(i)

    def kill_pool(self, name):
        """kill -9 of a pool's master and every child: the pool dies as a host would."""
        pid = self.pid(name)
        victims = [pid] + children_of(pid) if pid else []
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc = self.procs.get(name)
        if proc is not None:
            proc.wait(timeout=30)
        return len(victims)

    def pools(self):
        return [f"web{i}" for i in WEB_POOLS] + [f"worker{i}" for i in WORKER_POOLS]

    def stop(self):
        for name in ["nginx"] + self.pools() + ["mailsink", "sandbox"]:
            self.stop_one(name, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        self.cluster.stop_all()
