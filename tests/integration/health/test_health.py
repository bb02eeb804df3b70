#!/usr/bin/python3
"""Every healthd monitor against the real peers: lab/peers/httpd.py, nginx
with a certificate made here, dnsmasq, inetutils telnetd behind socat.

Two namespaces joined by a veth pair: thl-cli (198.18.5.1, runs
tandem-healthcheck) and thl-srv (198.18.5.11, runs the peers). Everything is
removed afterwards, also when a test or the set-up fails."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

CLI, SRV = "thl-cli", "thl-srv"
CLI_IP, SRV_IP, NOBODY = "198.18.5.1", "198.18.5.11", "198.18.5.99"
CHECK = os.path.join(tt.BIN, "tandem-healthcheck")
HTTPD = os.path.join(tt.REPO, "lab", "peers", "httpd.py")


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def teardown(workdir, procs=()):
    for p in procs:
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


class HealthPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tandem-health-")
        cls.procs = []
        # Class cleanups run even when setUpClass fails half-way.
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

        cls.cert = os.path.join(cls.work, "cert.pem")
        key = os.path.join(cls.work, "key.pem")
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
           "-subj", "/CN=lab.tandem.test", "-addext",
           "subjectAltName=DNS:lab.tandem.test,IP:" + SRV_IP, "-keyout", key, "-out", cls.cert)
        nginx_conf = os.path.join(cls.work, "nginx.conf")
        w = cls.work
        with open(nginx_conf, "w") as f:
            f.write("""daemon off; pid %s/nginx.pid; error_log %s/error.log;
worker_processes 1; events { worker_connections 64; }
http { access_log off; client_body_temp_path %s/b; proxy_temp_path %s/p;
  fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;
  server { listen %s:443 ssl; ssl_certificate %s; ssl_certificate_key %s;
    location = /health { return 200 "ok\\n"; } } }
""" % (w, w, w, w, w, w, w, SRV_IP, cls.cert, key))
        cls.spawn(SRV, "/usr/bin/python3", HTTPD, "--listen", SRV_IP, "--port", "80", "--name", "rs")
        cls.spawn(SRV, "nginx", "-c", nginx_conf, "-p", w)
        cls.spawn(SRV, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                  "--user=root", "--port=53", "--bind-interfaces", "--listen-address=" + SRV_IP,
                  "--address=/lab.tandem.test/198.18.0.100", "--pid-file=" + w + "/dnsmasq.pid",
                  "--log-facility=-")
        cls.spawn(SRV, "socat", "TCP-LISTEN:23,reuseaddr,fork", 'EXEC:"/usr/sbin/telnetd -h",nofork')
        # Wait for the peers with our own tcp check; the bound only ends a hang.
        for port in (80, 443, 23):
            tt.wait_until(lambda p=port: cls.check("tcp", "%s:%d" % (SRV_IP, p))[0] == 0,
                          what="port %d" % port)
        tt.wait_until(lambda: cls.check("dns", SRV_IP + ":53", "--name", "lab.tandem.test",
                                        "--timeout", "500")[0] == 0, what="dnsmasq")

    @classmethod
    def spawn(cls, ns, *cmd):
        with open(os.path.join(cls.work, os.path.basename(cmd[0]) + ".log"), "a") as log:
            cls.procs.append(subprocess.Popen(in_ns(ns, *cmd), stdout=log, stderr=log,
                                              stdin=subprocess.DEVNULL, start_new_session=True))

    @classmethod
    def check(cls, kind, target, *opts):
        res = subprocess.run(in_ns(CLI, CHECK, kind, target, *opts), capture_output=True,
                             text=True, timeout=60)
        return res.returncode, res.stdout.split("\n", 1)[0]

    def assertCheck(self, want_rc, want_summary, kind, target, *opts):
        rc, summary = self.check(kind, target, *opts)
        self.assertEqual((rc, summary), (want_rc, want_summary))

    def control(self, what):
        rc, summary = self.check("http", SRV_IP + ":80", "--path", "/control/" + what)
        self.assertEqual(rc, 0, summary)

    # --- tcp -----------------------------------------------------------------
    def test_tcp(self):
        self.assertCheck(0, "connected", "tcp", SRV_IP + ":80")
        self.assertCheck(1, "connection refused", "tcp", SRV_IP + ":81")
        rc, summary = self.check("tcp", NOBODY + ":80", "--timeout", "10000")
        self.assertEqual(rc, 1)
        self.assertIn(summary, ("host unreachable", "timeout (connecting)"))

    # --- http ----------------------------------------------------------------
    def test_http(self):
        self.addCleanup(self.control, "reset")
        self.assertCheck(0, "HTTP 200", "http", SRV_IP + ":80", "--path", "/health",
                         "--body", "ok")
        self.assertCheck(0, "HTTP 200", "http", SRV_IP + ":80", "--path", "/health",
                         "--method", "HEAD")
        self.assertCheck(0, "HTTP 200", "http", SRV_IP + ":80", "--path", "/",
                         "--regex", "hello from r[s]")
        self.control("status/503")
        self.assertCheck(1, "HTTP 503 (expected 200-299)", "http", SRV_IP + ":80",
                         "--path", "/health")
        self.control("reset")
        self.control("body/degraded")
        self.assertCheck(1, 'HTTP 200 but body lacks "ok"', "http", SRV_IP + ":80",
                         "--path", "/health", "--body", "ok")
        self.control("hang")
        self.assertCheck(1, "timeout (waiting for response)", "http",
                         SRV_IP + ":80", "--path", "/health", "--timeout", "1000")
        # A body larger than the 64 KiB kept for matching is cut off, not read.
        self.assertCheck(0, "HTTP 200", "http", SRV_IP + ":80", "--path", "/bytes/10000000",
                         "--body", "xxxx")

    # --- https ---------------------------------------------------------------
    def test_https(self):
        self.assertCheck(0, "HTTP 200", "https", SRV_IP + ":443", "--path", "/health")
        self.assertCheck(0, "HTTP 200", "https", SRV_IP + ":443", "--path", "/health",
                         "--verify", "--ca", self.cert, "--sni", "lab.tandem.test")
        rc, summary = self.check("https", SRV_IP + ":443", "--path", "/health",
                                 "--expiry-warn", "60")
        self.assertEqual(rc, 0)
        self.assertRegex(summary, r"^HTTP 200; certificate expires in (29|30) days$")
        rc, summary = self.check("https", SRV_IP + ":443", "--verify", "--ca", self.cert,
                                 "--sni", "other.tandem.test")
        self.assertEqual(rc, 1)
        self.assertTrue(summary.startswith("TLS certificate not trusted"), summary)
        rc, summary = self.check("https", SRV_IP + ":80", "--path", "/health")
        self.assertEqual(rc, 1)
        self.assertTrue(summary.startswith("TLS handshake failed"), summary)

    # --- dns -----------------------------------------------------------------
    def test_dns(self):
        self.assertCheck(0, "NOERROR 198.18.0.100", "dns", SRV_IP + ":53",
                         "--name", "lab.tandem.test", "--value", "198.18.0.100")
        self.assertCheck(1, "NOERROR without 198.18.0.1 (got: 198.18.0.100)", "dns",
                         SRV_IP + ":53", "--name", "lab.tandem.test", "--value", "198.18.0.1")
        rc, summary = self.check("dns", SRV_IP + ":53", "--name", "elsewhere.test")
        self.assertEqual(rc, 1)
        self.assertTrue(summary.endswith("(expected NOERROR)"), summary)
        self.assertCheck(1, "connection refused (port unreachable)", "dns", SRV_IP + ":5353",
                         "--name", "lab.tandem.test")
        self.assertCheck(1, "no answer (2 queries)", "dns", NOBODY + ":53",
                         "--name", "lab.tandem.test", "--timeout", "1000")

    # --- telnet --------------------------------------------------------------
    def test_telnet(self):
        self.assertCheck(0, 'found "login"', "telnet", SRV_IP + ":23")
        rc, summary = self.check("telnet", SRV_IP + ":23", "--expect", "no such prompt",
                                 "--timeout", "1500")
        self.assertEqual(rc, 1)
        self.assertTrue(summary.startswith('timeout (no "no such prompt" in'),
                        summary)
        self.assertCheck(1, "connection refused", "telnet", SRV_IP + ":24")

    # --- ping ----------------------------------------------------------------
    def test_ping(self):
        self.assertCheck(0, "echo reply", "ping", SRV_IP, "--socket", "raw")
        self.assertCheck(1, "no echo reply", "ping", NOBODY, "--timeout", "1000")
        # The unprivileged ICMP socket, once this namespace allows it.
        sh(*in_ns(CLI, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"))
        self.assertCheck(0, "echo reply", "ping", SRV_IP, "--socket", "dgram")

    # --- exec ----------------------------------------------------------------
    def test_exec(self):
        script = 'exec 3<>/dev/tcp/"$1"/80 && echo "port 80 open on $1"'
        self.assertCheck(0, "port 80 open on " + SRV_IP, "exec", SRV_IP + ":80",
                         "--program", "/bin/bash", "--arg", "-c", "--arg", script,
                         "--arg", "mon")
        self.assertCheck(1, "timeout (killed)", "exec", SRV_IP + ":80",
                         "--program", "/bin/sh", "--arg", "-c", "--arg", "sleep 30",
                         "--arg", "mon", "--timeout", "500")


if __name__ == "__main__":
    tt.main()
