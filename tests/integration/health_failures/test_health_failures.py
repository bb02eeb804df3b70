#!/usr/bin/python3
"""Every monitor's failure modes against real peers, and tandem-healthd
judging one server by several monitors and resuming from a director's table.

For each monitor: healthy, refused (nothing on the port), hangs (the peer
accepts or the packets vanish and nothing comes back: a timeout), wrong
content or status, unreachable address (no host answers ARP), and stopped
(the peer process killed, last, since it ends the peers). Two namespaces
joined by a veth pair: h6-cli (198.18.6.1, the checker) and h6-srv
(198.18.6.11: lab/peers/httpd.py, nginx with a certificate made here,
dnsmasq, inetutils telnetd behind socat, and a silent listener). Everything
is removed afterwards, also when a test or the set-up fails."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

CLI, SRV = "h6-cli", "h6-srv"
CLI_IP, SRV_IP, NOBODY = "198.18.6.1", "198.18.6.11", "198.18.6.99"
CHECK = os.path.join(tt.BIN, "tandem-healthcheck")
HTTPD = os.path.join(tt.REPO, "lab", "peers", "httpd.py")
REFUSED = 7  # nothing listens there
SILENT = 9   # accepts TCP and never says a word
DROPPED = 10  # TCP and UDP packets to it vanish (nft)


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def teardown(workdir, procs=()):
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
    for ns in (SRV, CLI):
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        if pids:
            subprocess.run(["kill", "-KILL"] + pids, capture_output=True)
        sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree("/etc/netns/" + ns, ignore_errors=True)
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)


class Failures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tandem-h6-")
        cls.procs = []
        cls.peers = {}
        cls.addClassCleanup(teardown, cls.work, cls.procs)
        teardown(None)  # leftovers of a killed run
        for ns in (CLI, SRV):
            os.makedirs("/etc/netns/" + ns, exist_ok=True)
            with open("/etc/netns/%s/resolv.conf" % ns, "w") as f:
                f.write("nameserver 127.0.0.1\n")
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", CLI, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", SRV)
        sh("ip", "-n", CLI, "addr", "add", CLI_IP + "/24", "dev", "eth0")
        sh("ip", "-n", SRV, "addr", "add", SRV_IP + "/24", "dev", "eth0")
        sh("ip", "-n", CLI, "link", "set", "eth0", "up")
        sh("ip", "-n", SRV, "link", "set", "eth0", "up")
        sh(*in_ns(SRV, "nft", "add table inet h6; add chain inet h6 in "
                  "{ type filter hook input priority 0; }; "
                  "add rule inet h6 in tcp dport %d drop; "
                  "add rule inet h6 in udp dport %d drop" % (DROPPED, DROPPED)))

        w = cls.work
        cls.cert = os.path.join(w, "cert.pem")
        key = os.path.join(w, "key.pem")
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
           "-subj", "/CN=lab.tandem.test", "-addext",
           "subjectAltName=DNS:lab.tandem.test,IP:" + SRV_IP, "-keyout", key, "-out", cls.cert)
        nginx_conf = os.path.join(w, "nginx.conf")
        with open(nginx_conf, "w") as f:
            f.write("""daemon off; pid %s/nginx.pid; error_log %s/error.log;
worker_processes 1; events { worker_connections 64; }
http { access_log off; client_body_temp_path %s/b; proxy_temp_path %s/p;
  fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;
  server { listen %s:443 ssl; ssl_certificate %s; ssl_certificate_key %s;
    location = /health { return 200 "ok\\n"; }
    location = /broken { return 503 "down\\n"; } } }
""" % (w, w, w, w, w, w, w, SRV_IP, cls.cert, key))
        cls.spawn("httpd", "/usr/bin/python3", HTTPD, "--listen", SRV_IP, "--port", "80",
                  "--name", "rs")
        cls.spawn("nginx", "nginx", "-c", nginx_conf, "-p", w)
        cls.spawn("dnsmasq", "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                  "--user=root", "--port=53", "--bind-interfaces", "--listen-address=" + SRV_IP,
                  "--address=/lab.tandem.test/198.18.0.100", "--pid-file=" + w + "/dnsmasq.pid",
                  "--log-facility=-")
        cls.spawn("telnetd", "socat", "TCP-LISTEN:23,reuseaddr,fork",
                  'EXEC:"/usr/sbin/telnetd -h",nofork')
        cls.spawn("silent", "socat", "TCP-LISTEN:%d,reuseaddr,fork" % SILENT,
                  "SYSTEM:'sleep 600'")
        for port in (80, 443, 23, SILENT):
            tt.wait_until(lambda p=port: cls.check("tcp", "%s:%d" % (SRV_IP, p))[0] == 0,
                          what="port %d" % port)
        tt.wait_until(lambda: cls.check("dns", SRV_IP + ":53", "--name", "lab.tandem.test",
                                        "--timeout", "500")[0] == 0, what="dnsmasq")

    @classmethod
    def spawn(cls, name, *cmd):
        with open(os.path.join(cls.work, name + ".log"), "a") as log:
            p = subprocess.Popen(in_ns(SRV, *cmd), stdout=log, stderr=log,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        cls.procs.append(p)
        cls.peers[name] = p

    @classmethod
    def check(cls, kind, target, *opts):
        res = subprocess.run(in_ns(CLI, CHECK, kind, target, *opts), capture_output=True,
                             text=True, timeout=60)
        return res.returncode, res.stdout.split("\n", 1)[0]

    def expect(self, want_rc, want, kind, target, *opts):
        """want: the exact summary, or a tuple of acceptable prefixes."""
        rc, summary = self.check(kind, target, *opts)
        self.assertEqual(rc, want_rc, summary)
        if isinstance(want, tuple):
            self.assertTrue(summary.startswith(want), "%r not in %r" % (summary, want))
        else:
            self.assertEqual(summary, want)

    def unreachable(self, kind, port, *opts):
        # No ARP answer: the kernel reports it, or the deadline comes first.
        self.expect(1, ("host unreachable", "timeout (connecting)"), kind,
                    "%s:%d" % (NOBODY, port), "--timeout", "4000", *opts)

    def control(self, what):
        self.assertEqual(self.check("http", SRV_IP + ":80", "--path", "/control/" + what)[0], 0)

    # --- per monitor ---------------------------------------------------------
    def test_tcp(self):
        self.expect(0, "connected", "tcp", "%s:80" % SRV_IP)
        self.expect(1, "connection refused", "tcp", "%s:%d" % (SRV_IP, REFUSED))
        self.expect(1, "timeout (connecting)", "tcp", "%s:%d" % (SRV_IP, DROPPED),
                    "--timeout", "700")
        self.unreachable("tcp", 80)

    def test_http(self):
        self.addCleanup(self.control, "reset")
        ok = (SRV_IP + ":80", "--path", "/health", "--body", "ok")
        self.expect(0, "HTTP 200", "http", *ok)
        self.expect(1, "connection refused", "http", "%s:%d" % (SRV_IP, REFUSED))
        self.expect(1, ("timeout (",), "http", "%s:%d" % (SRV_IP, SILENT), "--timeout", "700")
        self.control("status/500")
        self.expect(1, "HTTP 500 (expected 200-299)", "http", *ok)
        self.control("reset")
        self.control("body/nothing-here")
        self.expect(1, 'HTTP 200 but body lacks "ok"', "http", *ok)
        self.unreachable("http", 80)

    def test_https(self):
        target = SRV_IP + ":443"
        self.expect(0, "HTTP 200", "https", target, "--path", "/health", "--body", "ok")
        self.expect(1, "HTTP 503 (expected 200-299)", "https", target, "--path", "/broken")
        self.expect(1, 'HTTP 200 but body lacks "fine"', "https", target, "--path", "/health",
                    "--body", "fine")
        self.expect(1, "connection refused", "https", "%s:%d" % (SRV_IP, REFUSED))
        # Accepted, and the TLS handshake never answered.
        self.expect(1, ("timeout (",), "https", "%s:%d" % (SRV_IP, SILENT), "--timeout", "700")
        self.unreachable("https", 443)

    def test_dns(self):
        q = ("--name", "lab.tandem.test")
        self.expect(0, "NOERROR 198.18.0.100", "dns", SRV_IP + ":53", *q, "--require-answer")
        self.expect(0, "NOERROR 198.18.0.100", "dns", SRV_IP + ":53", *q, "--tcp")
        # (An empty NOERROR answer and require_answer: the unit tests; dnsmasq
        # without upstream says REFUSED or NXDOMAIN instead of NODATA.)
        self.expect(1, "NOERROR without 198.18.0.7 (got: 198.18.0.100)", "dns",
                    SRV_IP + ":53", *q, "--value", "198.18.0.7", "--tcp")
        self.expect(1, "connection refused (port unreachable)", "dns",
                    "%s:%d" % (SRV_IP, REFUSED), *q)
        self.expect(1, "connection refused", "dns", "%s:%d" % (SRV_IP, REFUSED), *q, "--tcp")
        self.expect(1, "no answer (2 queries)", "dns", "%s:%d" % (SRV_IP, DROPPED), *q,
                    "--timeout", "700")
        self.expect(1, "no answer (1 queries)", "dns", "%s:%d" % (SRV_IP, SILENT), *q, "--tcp",
                    "--timeout", "700")
        self.expect(1, "no answer (2 queries)", "dns", NOBODY + ":53", *q, "--timeout", "700")

    def test_telnet(self):
        self.expect(0, 'found "login"', "telnet", SRV_IP + ":23")
        self.expect(1, ('timeout (no "password:" in',), "telnet", SRV_IP + ":23",
                    "--expect", "password:", "--timeout", "1500")
        self.expect(1, "connection refused", "telnet", "%s:%d" % (SRV_IP, REFUSED))
        self.expect(1, ("timeout (",), "telnet", "%s:%d" % (SRV_IP, SILENT), "--timeout", "700")
        self.unreachable("telnet", 23)

    def test_ping(self):
        self.expect(0, "echo reply", "ping", SRV_IP, "--socket", "raw")
        self.expect(1, "no echo reply", "ping", NOBODY, "--socket", "raw", "--timeout", "700")

    def test_exec(self):
        probe = 'exec 3<>/dev/tcp/"$1"/"$2" && echo "open on $1:$2" || { echo "closed"; exit 2; }'
        run = ("--program", "/bin/bash", "--arg", "-c", "--arg", probe, "--arg", "mon",
               "--arg", "{host}", "--arg", "{port}", "--no-host")
        self.expect(0, "open on %s:80" % SRV_IP, "exec", SRV_IP + ":80", *run)
        self.expect(1, "closed (exit 2)", "exec", "%s:%d" % (SRV_IP, REFUSED), *run)
        self.expect(1, "timeout (killed)", "exec", "%s:%d" % (SRV_IP, DROPPED), *run,
                    "--timeout", "700")
        # mon_compatible: the host is the last argument.
        self.expect(0, SRV_IP, "exec", SRV_IP + ":80", "--program", "/bin/sh", "--arg", "-c",
                    "--arg", 'echo "$1"', "--arg", "mon")

    # --- the daemon ----------------------------------------------------------
    def daemon(self, config, director=None):
        run_dir = tempfile.mkdtemp(prefix="run-", dir=self.work)
        path = os.path.join(run_dir, "tandem.yaml")
        with open(path, "w") as f:
            f.write(config)
        if director is not None:
            fake_director(os.path.join(run_dir, "director.sock"), director)
        with open(os.path.join(run_dir, "healthd.log"), "w") as log:
            p = subprocess.Popen(in_ns(CLI, os.path.join(tt.BIN, "tandem-healthd"),
                                       "--foreground", "--run-dir", run_dir, "--config", path,
                                       "--node", "h6"),
                                 stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (p.send_signal(signal.SIGTERM), p.wait(20)))
        sock = os.path.join(run_dir, "healthd.sock")
        tt.wait_until(lambda: os.path.exists(sock) or p.poll() is not None, what="healthd")
        if p.poll() is not None:
            with open(os.path.join(run_dir, "healthd.log")) as f:
                self.fail(f.read())
        return sock

    def server(self, sock, service="web", server=None):
        reply = request(sock, "health", {"service": service})
        return reply["result"]["services"][0]["servers"][0]

    def test_daemon_every_monitor_judges(self):
        self.addCleanup(self.control, "reset")
        sock = self.daemon(CONFIG % {"srv": SRV_IP, "extra": ""})
        tt.wait_until(lambda: self.server(sock)["state"] == "up", what="rs up")
        s = self.server(sock)
        self.assertEqual([m["monitor"] for m in s["monitors"]], ["web", "names"])
        self.control("status/503")
        s = tt.wait_until(lambda: (lambda x: x if x["state"] == "down" else None)(
            self.server(sock)), what="rs down")
        # The failing monitor explains the state; the other one is still up.
        self.assertEqual(s["last"]["monitor"], "web")
        self.assertEqual(s["last"]["summary"], "HTTP 503 (expected 200-299)")
        self.assertEqual([m["up"] for m in s["monitors"]], [False, True])
        self.control("reset")
        tt.wait_until(lambda: self.server(sock)["state"] == "up", what="rs back up")

    def test_daemon_resumes_from_the_director(self):
        # rise 5 and a long interval: without the director's table the
        # server would sit in "pending" for the whole test.
        table = {"services": [{"protocol": "tcp", "address": "198.18.0.100", "port": 80,
                               "servers": [{"address": SRV_IP, "port": 80, "weight": 1}]}]}
        sock = self.daemon(CONFIG % {"srv": SRV_IP, "extra": "    rise: 5\n"}, director=table)
        # Up at once, though five successes of each monitor would be needed.
        self.assertEqual(self.server(sock)["state"], "up")
        status = request(sock, "status")["result"]["detail"]
        self.assertEqual(status["resumed_services"], 1)
        self.assertEqual(status["director_outbox"], [])

    # --- stopped (last: it ends the peers) -------------------------------------
    def test_zz_stopped_peers(self):
        for name in ("httpd", "nginx", "dnsmasq", "telnetd"):
            p = self.peers[name]
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        self.expect(1, "connection refused", "tcp", SRV_IP + ":80")
        self.expect(1, "connection refused", "http", SRV_IP + ":80")
        self.expect(1, "connection refused", "https", SRV_IP + ":443")
        self.expect(1, "connection refused (port unreachable)", "dns", SRV_IP + ":53",
                    "--name", "lab.tandem.test")
        self.expect(1, "connection refused", "telnet", SRV_IP + ":23")


CONFIG = """global:
  log_level: info
monitors:
  web:
    type: http
    path: /health
    interval: 1s
    timeout: 1s
    retry_delay: 500ms
    start_jitter: 0s
%(extra)s  names:
    type: dns
    query: lab.tandem.test
    transport: tcp
    require_answer: true
    interval: 1s
    timeout: 1s
    start_jitter: 0s
%(extra)sservices:
  - name: web
    address: 198.18.0.100
    port: 80
    on_failure: quiesce
    real_servers:
      - name: rs
        address: %(srv)s
        monitors: [web, {use: names, port: 53}]
"""


def request(path, cmd, args=None):
    reply = tt.control_request(path, cmd, args)
    assert reply.get("ok"), reply
    return reply


def fake_director(path, table):
    """Answers `services` with table on path, as tandem-director would."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                if not buf:
                    continue
                req = json.loads(buf)
                reply = {"id": req.get("id"), "ok": req.get("cmd") == "services",
                         "result": table}
                if not reply["ok"]:
                    reply = {"id": req.get("id"), "ok": False, "error": "unknown command"}
                conn.sendall((json.dumps(reply) + "\n").encode())

    threading.Thread(target=serve, daemon=True).start()


if __name__ == "__main__":
    tt.main()
