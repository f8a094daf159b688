"""A throwaway PostgreSQL cluster for integration tests (scripts/pg-cluster.sh),
and gatehouse nodes sharing it.

    cluster = pg_world.Cluster().start()      # fails the test if PostgreSQL is missing
    a = cluster.node()                         # `gatehouse serve --db postgres://…`
    b = cluster.node(["--max-staleness", "2"])
    cluster.restart()                          # an outage: stop and start, same port
    cluster.stop()                             # and removes its directory

There is no skipping: a machine without PostgreSQL fails these tests (the
test command installs it: scripts/deps.sh test).  Every node gets the same
master key through GATEHOUSE_MASTER_KEY, as nodes behind one load balancer
must (docs/multi-node.md).

Proxy is a loopback TCP forwarder in front of the cluster: a node connected
through it loses the database when the proxy is cut (every connection
closed, new ones refused) while the other nodes keep it.
"""

import os
import secrets
import select
import shutil
import socket
import subprocess
import tempfile
import threading

import harness

SCRIPT = os.path.join(harness.REPO, "scripts", "pg-cluster.sh")
# Restarting a cluster waits for the server to stop and start.
PG_TIMEOUT = float(os.environ.get("GATEHOUSE_PG_TIMEOUT", "120"))


class ClusterError(Exception):
    pass


def _run(*args):
    p = subprocess.run(["bash", SCRIPT] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=PG_TIMEOUT)
    if p.returncode != 0:
        raise ClusterError("scripts/pg-cluster.sh %s failed (status %d):\n%s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout.strip()


class Cluster:
    def __init__(self):
        self.parent = None
        self.dir = None
        self.url = None
        self.master_key = secrets.token_hex(32)
        self.nodes = []

    def start(self):
        # the server runs as another user (postgres when we are root): it must
        # reach DIR through the parent, which mkdtemp makes private
        self.parent = tempfile.mkdtemp(prefix="gh-pg-")
        os.chmod(self.parent, 0o755)
        self.dir = os.path.join(self.parent, "cluster")
        try:
            self.url = _run("start", self.dir)
        except BaseException:
            shutil.rmtree(self.parent, ignore_errors=True)
            raise
        if not self.url.startswith("postgres://") or "\n" in self.url:
            raise ClusterError("pg-cluster.sh start printed %r, not one URL line" % self.url)
        return self

    def restart(self):
        """Stops and starts the server (same port, same data): an outage."""
        _run("restart", self.dir)

    def stop(self):
        for n in self.nodes:
            n.cleanup()
        self.nodes = []
        if self.dir:
            try:
                _run("stop", self.dir)
            finally:
                shutil.rmtree(self.parent, ignore_errors=True)
                self.dir = None

    def env(self):
        return {"GATEHOUSE_MASTER_KEY": self.master_key}

    def node(self, args=(), url=None):
        """A started `gatehouse serve` on this cluster (or on url, e.g. a Proxy's)."""
        srv = harness.Server(args=list(args), env=self.env(), db=url or self.url)
        self.nodes.append(srv)
        srv.start()
        return srv

    def cli(self, *args):
        """`gatehouse ARGS --db URL` with the nodes' master key; CompletedProcess."""
        return harness.run_cli(list(args) + ["--db", self.url], env=self.env(),
                               cwd=self.parent)

    def sql(self, statement):
        """Runs statement with psql straight on the database, behind the
        nodes' backs (no change announcement); returns psql's output."""
        p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", self.url,
                            "-c", statement], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        if p.returncode != 0:
            raise ClusterError("psql failed (status %d): %s" % (p.returncode, p.stderr))
        return p.stdout

    def admin_token(self):
        p = self.cli("admin-token", "create", "--name", "nodes-it")
        if p.returncode != 0:
            raise ClusterError("admin-token create failed: %r" % (p,))
        return p.stdout.strip()


class Proxy:
    """Forwards 127.0.0.1:port to the cluster's port until cut()."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.port = harness.free_port()
        self.lock = threading.Lock()
        self.conns = []
        self.listener = None
        self.thread = None
        self.up = False

    def url_for(self, url):
        """url with the cluster's port replaced by the proxy's."""
        head, _, tail = url.rpartition(":%d/" % self.target[1])
        if not head:
            raise ClusterError("no port %d in %s" % (self.target[1], url))
        return "%s:%d/%s" % (head, self.port, tail)

    def open(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.listener = s
        self.up = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def _accept(self):
        while self.up:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.target, timeout=5)
            except OSError:
                c.close()
                continue
            with self.lock:
                if not self.up:
                    c.close()
                    u.close()
                    return
                self.conns += [c, u]
            threading.Thread(target=self._pump, args=(c, u), daemon=True).start()

    def _pump(self, a, b):
        peer = {a: b, b: a}
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 1.0)
                if not self.up:
                    break
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    peer[s].sendall(data)
        except (OSError, ValueError):  # ValueError: cut() closed a socket
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def cut(self):
        """Every connection through the proxy is closed; new ones are refused."""
        self.up = False
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        except OSError:
            pass
        self.listener.close()
        self.thread.join(5)
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
