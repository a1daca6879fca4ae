#!/usr/bin/python3
"""stack.py: the local billsync stack (MariaDB, API sandboxes, SMTP sink, FastCGI pool,
worker, nginx) in one directory, started and stopped by PID.

`make demo` runs `stack.py start` on var/ (processes detached, PID files in var/run/);
`make stop` runs `stack.py stop`. The test harness imports Stack and runs the same steps in a
temporary directory on free loopback ports, as children of the test process.
"""
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback port nothing listens on, chosen BELOW the kernel's ephemeral range: a port
    the kernel hands out (bind to 0) is free now, but the stack binds it only seconds later,
    and meanwhile any outgoing connection of a busy machine (the worker's hundreds of calls
    to the sandboxes) may be given the same port, so nginx failed with EADDRINUSE."""
    lo, hi = _ephemeral_range()
    top = lo - 1 if lo > 11000 else 65535
    bottom = 10000 if lo > 11000 else hi + 1
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(bottom, top + 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port outside the ephemeral range")


def pid_alive(pid):
    """True while the process exists and is not a zombie (a reparented daemon's exit may
    leave a zombie that kill(pid, 0) still reports)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def fake_clock_env(env, offset=None):
    """env for a native program (billsync's, MariaDB) that runs on the shared test clock:
    with BILLSYNC_CLOCK_OFFSET set (tests/run-dates.sh), libfaketime moves its wall clock by
    that many seconds; the monotonic clock stays real (timeouts, leases, back-off). Python
    programs are not preloaded (libfaketime breaks Python's sleep): the sandbox and the tests
    add the same offset themselves (tests/sandbox/simcore.py)."""
    offset = os.environ.get("BILLSYNC_CLOCK_OFFSET") if offset is None else offset
    env = dict(env)
    if offset and float(offset) != 0:
        env.update(LD_PRELOAD=FAKETIME_LIB, FAKETIME="%+d" % int(float(offset)),
                   FAKETIME_DONT_FAKE_MONOTONIC="1")
    return env


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


class Stack:
    """One billsync installation in `base`. detach=True: daemons outlive this process
    (demo); False: they are our children and stop with us (tests)."""

    def __init__(self, base, port=None, detach=False, settings=None, seed_demo=True):
        self.base = os.path.abspath(base)
        self.detach = detach
        self.port = port
        self.settings = settings or {}
        self.seed_demo = seed_demo
        self.procs = {}
        for d in ("run", "log", "mail", "tmp", "ngx/tmp"):
            os.makedirs(os.path.join(self.base, d), exist_ok=True)

    # paths -------------------------------------------------------------------------------
    def path(self, *p):
        return os.path.join(self.base, *p)

    @property
    def db_socket(self):
        return self.path("run", "mariadb.sock")

    @property
    def conf(self):
        return self.path("billsync.conf")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self):
        e = dict(os.environ)
        e["BILLSYNC_CONFIG"] = self.conf
        return e

    # process control ---------------------------------------------------------------------
    def _spawn(self, name, argv, cwd=ROOT):
        log = open(self.path("log", f"{name}.log"), "ab")
        env = self.env() if argv[0] == PY else fake_clock_env(self.env())
        p = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                             env=env, start_new_session=self.detach)
        log.close()
        self.procs[name] = p
        with open(self.path("run", f"{name}.pid"), "w") as f:
            f.write(str(p.pid))
        return p

    def wait_service(self, name, pred, timeout, what):
        """wait_until, failing at once (with the log's tail) if the process exits."""
        def ready():
            p = self.procs.get(name)
            if p is not None and p.poll() is not None:
                tail = open(self.path("log", f"{name}.log"), errors="replace").read()[-1500:]
                raise RuntimeError(f"{what} exited with status {p.returncode}:\n{tail}")
            return pred()
        wait_until(ready, timeout, what)

    def pid(self, name):
        try:
            with open(self.path("run", f"{name}.pid")) as f:
                return int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def running(self, name):
        pid = self.pid(name)
        return pid > 0 and pid_alive(pid)

    def stop_one(self, name, sig=signal.SIGTERM, timeout=15):
        pid = self.pid(name)
        if pid and pid_alive(pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            end = time.monotonic() + timeout
            while pid_alive(pid) and time.monotonic() < end:
                p = self.procs.get(name)
                if p is not None:
                    try:
                        p.wait(timeout=0.05)
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    time.sleep(0.05)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
                while pid_alive(pid):
                    time.sleep(0.05)
        p = self.procs.pop(name, None)
        if p is not None:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.unlink(self.path("run", f"{name}.pid"))
        except FileNotFoundError:
            pass

    # MariaDB -----------------------------------------------------------------------------
    def _mysql(self, sql, db=None):
        argv = ["mariadb", "--no-defaults", "-S", self.db_socket, "-uroot", "-N", "-B"]
        if db:
            argv.append(db)
        return subprocess.run(argv + ["-e", sql], check=True, capture_output=True,
                              text=True).stdout

    def start_mariadb(self):
        datadir = self.path("db")
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        if not os.path.isdir(os.path.join(datadir, "mysql")):
            tmpl = os.path.join(ROOT, "build", "mariadb-template")
            if not os.path.isdir(os.path.join(tmpl, "mysql")):
                shutil.rmtree(tmpl, ignore_errors=True)
                tmp = tmpl + f".{os.getpid()}"
                shutil.rmtree(tmp, ignore_errors=True)
                # A private tmpdir: a MariaDB server starting deletes every "#sql*" file in
                # its tmpdir, so with the shared /tmp another stack's server starting at the
                # same moment removed this bootstrap's temporary table (CI: "Unknown table
                # 'mysql.tmp_user_sys'").
                private_tmp = tempfile.mkdtemp(prefix="billsync-install-db-")
                try:
                    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={tmp}",
                                    f"--tmpdir={private_tmp}",
                                    "--auth-root-authentication-method=normal",
                                    "--skip-test-db", "--skip-name-resolve"] + as_root,
                                   check=True, capture_output=True)
                finally:
                    shutil.rmtree(private_tmp, ignore_errors=True)
                try:
                    os.rename(tmp, tmpl)
                except OSError:           # another run (make test twice at once) made it first
                    shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(tmpl, datadir, symlinks=True)
        # conf/mariadb-billsync.cnf is the one source of the server's settings (the demo runs
        # with production's buffer pool, so a demo tenant of production size stays in memory);
        # the local stack adds only where it lives. The test suite's stacks, several at once
        # holding a few thousand rows each, ask for a smaller pool (mariadb.buffer_pool).
        # No correctness depends on the pool's size.
        pool = self.settings.get("mariadb.buffer_pool")
        cnf = self.path("mariadb.cnf")
        with open(cnf, "w") as f:
            f.write(f"""# generated by conf/stack.py
!include {os.path.join(ROOT, 'conf', 'mariadb-billsync.cnf')}
[mariadbd]
datadir = {datadir}
socket = {self.db_socket}
tmpdir = {self.path('tmp')}
pid-file = {self.path('run', 'mariadbd.pid')}
log-error = {self.path('log', 'mariadb.err')}
skip-networking
skip-log-bin
""" + (f"innodb_buffer_pool_size = {pool}\n" if pool else ""))
        self._spawn("mariadb", ["mariadbd", f"--defaults-file={cnf}"] + as_root)

        def up():
            r = subprocess.run(["mariadb-admin", "--no-defaults", "-S", self.db_socket, "-uroot",
                                "ping"], capture_output=True)
            return r.returncode == 0
        self.wait_service("mariadb", up, 60, "MariaDB")

    def ensure_database(self):
        pw_file = self.path("db-password")
        if not os.path.exists(pw_file):
            with open(pw_file, "w") as f:
                f.write(secrets.token_urlsafe(24))
            os.chmod(pw_file, 0o600)
        pw = open(pw_file).read().strip()
        self._mysql("CREATE DATABASE IF NOT EXISTS billsync CHARACTER SET utf8mb4 "
                    "COLLATE utf8mb4_unicode_ci; "
                    f"CREATE USER IF NOT EXISTS 'billsync'@'localhost' IDENTIFIED BY '{pw}'; "
                    "GRANT ALL ON billsync.* TO 'billsync'@'localhost'; "
                    # scratch databases of the test suite (billsync_migtest...)
                    "GRANT ALL ON `billsync\\_%`.* TO 'billsync'@'localhost';")
        return pw

    # configuration -----------------------------------------------------------------------
    def write_config(self, db_password):
        s = {
            "db": {"socket": self.db_socket, "name": "billsync", "user": "billsync",
                   "password": db_password, "timeout": "5"},
            "web": {"socket": self.path("run", "web.sock"), "children": "3",
                    "base_url": self.url, "templates": os.path.join(ROOT, "templates")},
            "worker": {"children": "2", "lease_seconds": "60", "poll_ms": "500", "schedule_seconds": "30"},
            "security": {"key_file": self.path("secret.key"),
                         "common_passwords": os.path.join(ROOT, "conf", "common-passwords.txt")},
            "smtp": {"url": f"smtp://127.0.0.1:{self.smtp_port}",
                     "from": "billsync <billsync@localhost>"},
            "net": {"slot_dir": self.path("run", "slots"), "timeout_ms": "15000"},
            "log": {"level": "info"},
        }
        for key, value in self.settings.items():
            sec, k = key.split(".", 1)
            if sec not in ("mariadb", "sandbox"):    # the server's and the sandbox's own settings
                s.setdefault(sec, {})[k] = str(value)
        with open(self.conf, "w") as f:
            f.write("# generated by conf/stack.py; edit conf/billsync.conf.example instead\n")
            for sec, kv in s.items():
                f.write(f"\n[{sec}]\n")
                for k, v in kv.items():
                    f.write(f"{k} = {v}\n")
        os.chmod(self.conf, 0o600)

    def billsync(self, *args, input=None, check=True):
        return subprocess.run([os.path.join(ROOT, "bin", "billsync"), *args], cwd=ROOT,
                              env=fake_clock_env(self.env()), input=input, capture_output=True,
                              text=True, check=check)

    # services ----------------------------------------------------------------------------
    def start_sandbox(self):
        ready = self.path("run", "sandbox.json")
        if os.path.exists(ready):
            os.unlink(ready)
        # settings "sandbox.state_file": "" runs it without one (a benchmark's big stores would be
        # written to disk after every write); "sandbox.request_log": N keeps N requests for
        # GET /requests (a benchmark's whole cycle; default 5,000)
        state = self.settings.get("sandbox.state_file", self.path("sandbox-state.json"))
        self._spawn("sandbox", [PY, os.path.join(ROOT, "tests", "sandbox", "sandbox.py"),
                                "--ready-file", ready, "--seed", "demo"]
                    + (["--state-file", state] if state else [])
                    + (["--request-log", str(self.settings["sandbox.request_log"])]
                       if self.settings.get("sandbox.request_log") else []))
        self.wait_service("sandbox", lambda: os.path.exists(ready), 30, "the API sandboxes")
        with open(ready) as f:
            self.sandbox = json.load(f)

    def start_smtp(self):
        self._spawn("mailsink", [PY, os.path.join(ROOT, "conf", "mailsink.py"),
                                 "--port", str(self.smtp_port), "--dir", self.path("mail")])

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=0.2):
                    return True
            except OSError:
                return False
        self.wait_service("mailsink", up, 20, "the SMTP sink")

    def start_web(self):
        sock = self.path("run", "web.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self._spawn("web", [os.path.join(ROOT, "bin", "billsync-web")])
        self.wait_service("web", lambda: os.path.exists(sock), 20, "billsync-web")

    def start_worker(self):
        self._spawn("worker", [os.path.join(ROOT, "bin", "billsync-worker")])

    def fastcgi_sockets(self):
        """The web pools nginx passes requests to (tests/scale: several)."""
        return [self.path("run", "web.sock")]

    def start_nginx(self):
        user = "user root;\n" if os.geteuid() == 0 else ""
        upstream = " ".join(f"server unix:{sock};" for sock in self.fastcgi_sockets())
        t = self.path("ngx", "tmp")
        static = os.path.join(ROOT, "static")
        conf = f"""# generated by conf/stack.py from conf/nginx-site.conf's rules (no query strings logged)
{user}worker_processes 1;
pid {self.path('run', 'nginx.pid')};
error_log {self.path('log', 'nginx-error.log')} warn;
events {{ worker_connections 512; }}
http {{
  include /etc/nginx/mime.types;
  map $http_referer $billsync_referer {{ "~^(?<billsync_ref_path>[^?]*)" $billsync_ref_path; default ""; }}
  log_format billsync '$remote_addr - $remote_user [$time_local] "$request_method $uri $server_protocol" '
                      '$status $body_bytes_sent "$billsync_referer" "$http_user_agent"';
  access_log {self.path('log', 'nginx-access.log')} billsync;
  client_body_temp_path {t}/body; fastcgi_temp_path {t}/fcgi; proxy_temp_path {t}/proxy;
  uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
  server_tokens off;
  upstream billsync {{ {upstream} }}
  server {{
    listen 127.0.0.1:{self.port};
    client_max_body_size 1g;
    location /static/ {{
      alias {static}/;
      add_header X-Content-Type-Options nosniff;
      add_header Content-Security-Policy "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'";
      add_header Referrer-Policy same-origin;
      expires 1h;
    }}
    location / {{
      include /etc/nginx/fastcgi_params;
      fastcgi_param HTTPS $https if_not_empty;
      fastcgi_pass billsync;
      fastcgi_read_timeout 120s;
      fastcgi_keep_conn on;
      fastcgi_max_temp_file_size 0;
    }}
  }}
}}
"""
        with open(self.path("ngx", "nginx.conf"), "w") as f:
            f.write(conf)
        pidfile = self.path("run", "nginx.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        # nginx daemonises itself; its PID file is the handle.
        subprocess.run(["nginx", "-p", self.path("ngx"), "-c", self.path("ngx", "nginx.conf"),
                        "-e", self.path("log", "nginx-error.log")], check=True,
                       capture_output=True)
        wait_until(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, 20, "nginx")

    # whole stack -------------------------------------------------------------------------
    def start(self, with_sandbox=True):
        state_file = self.path("stack.json")
        saved = json.load(open(state_file)) if os.path.exists(state_file) else {}
        self.port = self.port or saved.get("port") or free_port()
        self.smtp_port = saved.get("smtp_port") if self.detach and saved.get("smtp_port") else free_port()
        self.start_mariadb()
        pw = self.ensure_database()
        self.write_config(pw)
        self.billsync("keygen")
        self.billsync("migrate")
        if with_sandbox and os.path.exists(os.path.join(ROOT, "tests", "sandbox", "sandbox.py")):
            self.start_sandbox()
        if self.seed_demo:
            args = ["seed-demo"]
            if with_sandbox and self.detach:      # the demo: connections to the sandboxes too
                args += ["--sandbox", self.path("run", "sandbox.json")]
            self.billsync(*args)
        self.start_smtp()
        self.start_web()
        self.start_worker()
        self.start_nginx()
        with open(state_file, "w") as f:
            json.dump({"port": self.port, "smtp_port": self.smtp_port}, f)
        return self

    def stop(self):
        # nginx first (no new requests), then the app, then what it depends on.
        for name in ("nginx", "web", "worker", "mailsink", "sandbox", "mariadb"):
            self.stop_one(name, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)


def main(argv):
    base = os.environ.get("BILLSYNC_VAR", os.path.join(ROOT, "var"))
    port = int(os.environ.get("PORT", "0") or 0) or None
    cmd = argv[1] if len(argv) > 1 else "help"
    st = Stack(base, port=port or 8080 if cmd == "start" and not os.path.exists(
        os.path.join(base, "stack.json")) else port, detach=True)
    if cmd == "start":
        if st.running("nginx") or st.running("web"):
            saved = json.load(open(st.path("stack.json")))
            print(f"billsync is already running at http://127.0.0.1:{saved['port']}/ "
                  "(make stop to stop it)")
            return 0
        try:
            st.start()
        except (RuntimeError, subprocess.CalledProcessError) as e:
            detail = getattr(e, "stderr", b"") or b""
            if isinstance(detail, bytes):
                detail = detail.decode(errors="replace")
            print(f"billsync: could not start: {e}\n{detail}\nlogs: {st.path('log')}",
                  file=sys.stderr)
            st.stop()
            return 1
        print(f"""
billsync is running.
  URL:      {st.url}/
  Login:    admin@demo-msp.example
  Password: billsync-demo-2026
  Mail:     password-reset and invitation mails land in {st.path('mail')}/
  Logs:     {st.path('log')}/
  Stop:     make stop   (data in {st.base}/ is kept; make demo starts it again)
""")
        return 0
    if cmd == "stop":
        st.stop()
        print("billsync stopped (data kept in %s)" % st.base)
        return 0
    if cmd == "status":
        for name in ("mariadb", "sandbox", "mailsink", "web", "worker", "nginx"):
            print(f"{name:9} {'running' if st.running(name) else 'stopped'} (pid {st.pid(name)})")
        return 0
    print("usage: stack.py start|stop|status   (BILLSYNC_VAR=dir, PORT=n)")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
