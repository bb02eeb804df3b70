"""Each real daemon binary, unprivileged, in a private temp run directory.

No network: only the daemons' Unix control sockets. Every test starts its own
processes and its own directory and removes both, also when it fails.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tandemtest import BIN, DAEMONS, run, wait_until  # noqa: E402

VALID = "global:\n  log_level: info\n"
INVALID = "global:\n  log_level: info\n  bogus_key: 1\n"  # error at 3:3
MAX_MESSAGE = 1048576  # control.max_message_size default


def program(daemon):
    return os.path.join(BIN, "tandem-" + daemon)


class Env:
    """A temp dir with a config file, the daemons started in it, and cleanup."""

    def __init__(self, test):
        self._tmp = tempfile.TemporaryDirectory(prefix="tandem-daemons-")
        test.addCleanup(self._tmp.cleanup)
        test.addCleanup(self.kill_all)  # runs first: processes before the dir
        self.dir = self._tmp.name
        self.run_dir = os.path.join(self.dir, "run")
        self.config = os.path.join(self.dir, "tandem.yaml")
        self.write_config(VALID)
        self.procs = {}

    def write_config(self, text):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)

    def sock(self, daemon):
        return os.path.join(self.run_dir, daemon + ".sock")

    def start(self, daemon, *extra):
        log = open(os.path.join(self.dir, daemon + ".log"), "w+", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        proc = subprocess.Popen(
            [program(daemon), "--foreground", "--run-dir", self.run_dir, "--config", self.config,
             "--node", "itest"] + list(extra),
            stdout=log, stderr=subprocess.STDOUT, env=env)
        proc.log = log
        self.procs[daemon] = proc
        # Answering, not just a socket file: a stale file may already be there.
        wait_until(lambda: self.answers(daemon) or proc.poll() is not None,
                   what=daemon + " control socket")
        if proc.poll() is not None:
            raise AssertionError("%s exited %d:\n%s" % (daemon, proc.returncode, self.log(daemon)))
        return proc

    def answers(self, daemon):
        try:
            return request(self.sock(daemon), "ping")["ok"]
        except (OSError, AssertionError, ValueError):
            return False

    def log(self, daemon):
        with open(os.path.join(self.dir, daemon + ".log"), encoding="utf-8", errors="replace") as f:
            return f.read()

    def ctl(self, *args, check=False):
        return run([os.path.join(BIN, "tandemctl"), "--run-dir", self.run_dir, "--timeout", "5"]
                   + list(args), check=check)

    def status(self, daemon):
        res = self.ctl("--json", "status", daemon)
        return json.loads(res.stdout)["daemons"][0]

    def kill_all(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            proc.log.close()


def gone(pid):
    """True once pid has exited (a zombie counts: nobody may reap it here)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def closed_by_peer(s):
    """True when the server hangs up on s (it may answer something first)."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    finally:
        s.close()


def request(path, cmd, args=None, rid=1):
    with connect(path) as s:
        s.sendall((json.dumps({"id": rid, "cmd": cmd, "args": args or {}}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("connection closed before a response")
            buf += chunk
        return json.loads(buf)


class DaemonCase(unittest.TestCase):
    daemon = None  # set by the generated subclasses below

    def setUp(self):
        self.env = Env(self)

    def test_check_config_exit_codes_and_no_side_effects(self):
        res = run([program(self.daemon), "--check-config", "--config", self.env.config,
                   "--run-dir", self.env.run_dir], check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.env.write_config(INVALID)
        res = run([program(self.daemon), "--check-config", "--config", self.env.config,
                   "--run-dir", self.env.run_dir], check=False)
        self.assertEqual(res.returncode, 2)
        self.assertIn(self.env.config + ":3:3: global.bogus_key: unknown key", res.stderr)
        res = run([program(self.daemon), "--check-config", "--config",
                   os.path.join(self.env.dir, "missing.yaml")], check=False)
        self.assertEqual(res.returncode, 2)
        self.assertFalse(os.path.exists(self.env.run_dir), "check-config must create nothing")
        res = run([program(self.daemon), "--no-such-flag"], check=False)
        self.assertEqual(res.returncode, 2)
        self.assertIn("usage: tandem-" + self.daemon, res.stderr)

    def test_status_and_hostile_clients(self):
        self.env.start(self.daemon)
        res = self.env.ctl("status", self.daemon)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        row = [l for l in res.stdout.splitlines() if l.startswith(self.daemon)]
        self.assertEqual(len(row), 1, res.stdout)
        self.assertEqual(row[0].split()[1:3], ["running", str(self.env.procs[self.daemon].pid)])
        st = self.env.status(self.daemon)["status"]
        self.assertEqual((st["daemon"], st["node"], st["config_generation"]),
                         (self.daemon, "itest", 1))
        self.assertIsInstance(st["detail"], dict)

        path = self.env.sock(self.daemon)
        hostile = [b"this is not json\n", b"[1,2,3]\n", b'{"id":1}\n', b'{"id":1,"cmd":"st\x00"}\n',
                   b"\xff\xfe\xfd\n", b"x" * (MAX_MESSAGE + 10)]
        for payload in hostile:
            with self.subTest(payload=payload[:20]):
                s = connect(path)
                s.sendall(payload)
                self.assertTrue(closed_by_peer(s))
                self.assertTrue(request(path, "ping")["ok"])
        # Half a message, then gone.
        s = connect(path)
        s.sendall(b'{"id":1,"cmd":"pi')
        s.close()
        # Many idle connections at once do not block others.
        idle = [connect(path) for _ in range(20)]
        self.assertTrue(request(path, "ping")["ok"])
        for s in idle:
            s.close()
        wait_until(lambda: self.env.status(self.daemon)["status"]["control"]["protocol_errors"]
                   >= len(hostile) + 1, what="protocol errors counted")
        log = self.env.log(self.daemon)
        for reason in ("bad request: malformed JSON", "bad request: message is not a JSON object",
                       'bad request: missing or invalid "cmd"', "message longer than 1048576 bytes",
                       "went away mid-message"):
            self.assertIn(reason, log)
        self.assertIsNone(self.env.procs[self.daemon].poll())

    def test_sighup_with_invalid_file_keeps_running(self):
        proc = self.env.start(self.daemon)
        self.env.write_config(INVALID)
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.env.status(self.daemon)["status"]["reload_failures"] == 1,
                   what="failed reload counted")
        st = self.env.status(self.daemon)["status"]
        self.assertEqual(st["config_generation"], 1)
        self.assertFalse(st["last_reload"]["ok"])
        self.assertEqual(st["last_reload"]["errors"][0]["line"], 3)
        self.assertIsNone(proc.poll())
        self.assertIn("last reload failed", self.env.ctl("status", self.daemon).stdout)

        res = self.env.ctl("reload", self.daemon)
        self.assertEqual(res.returncode, 1)
        self.assertIn(self.daemon + ": refused", res.stdout)
        self.assertIn(":3:3: global.bogus_key: unknown key", res.stdout)

        self.env.write_config(VALID)
        res = self.env.ctl("reload", self.daemon)
        self.assertEqual(res.returncode, 0, res.stdout)
        self.assertIn(self.daemon + ": reloaded, generation 2", res.stdout)
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.env.status(self.daemon)["status"]["config_generation"] == 3,
                   what="generation 3 after SIGHUP")

    def test_sigterm_stops_cleanly(self):
        proc = self.env.start(self.daemon)
        pid_file = os.path.join(self.env.run_dir, self.daemon + ".pid")
        with open(pid_file, encoding="utf-8") as f:
            self.assertEqual(int(f.read()), proc.pid)
        held = connect(self.env.sock(self.daemon))  # an open client must not block the stop
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=20), 0)
        held.close()
        self.assertFalse(os.path.exists(self.env.sock(self.daemon)))
        self.assertFalse(os.path.exists(pid_file))
        self.assertIn("stopped", self.env.log(self.daemon))


for _daemon in DAEMONS:
    _name = _daemon.capitalize() + "Test"
    globals()[_name] = type(_name, (DaemonCase,), {"daemon": _daemon})
del DaemonCase  # only the generated subclasses run


class SuiteTest(unittest.TestCase):
    """Behaviour across daemons and of the process life cycle."""

    def setUp(self):
        self.env = Env(self)

    def test_status_table_shows_down_daemons_and_exit_code(self):
        for d in DAEMONS:
            self.env.start(d)
        res = self.env.ctl("status")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertEqual(res.stdout.splitlines()[0].split(),
                         ["DAEMON", "STATE", "PID", "UPTIME", "NODE", "GEN", "NOTE"])
        self.assertEqual([l.split()[:2] for l in res.stdout.splitlines()[1:]],
                         [[d, "running"] for d in DAEMONS])
        self.env.procs["vrrpd"].send_signal(signal.SIGTERM)
        self.env.procs["vrrpd"].wait(timeout=20)
        res = self.env.ctl("status")
        self.assertEqual(res.returncode, 1)
        down = [l for l in res.stdout.splitlines() if l.startswith("vrrpd")][0]
        self.assertEqual(down.split()[1], "down")
        self.assertIn("No such file or directory", down)
        doc = json.loads(self.env.ctl("--json", "status").stdout)
        self.assertEqual([(x["daemon"], x["state"]) for x in doc["daemons"]],
                         [(d, "down" if d == "vrrpd" else "running") for d in DAEMONS])
        self.assertEqual(self.env.ctl("ping").returncode, 1)
        self.assertEqual(self.env.ctl("ping", "director").returncode, 0)
        self.assertEqual(self.env.ctl("status", "nosuchd").returncode, 2)

    def test_ctl_version_and_help(self):
        res = self.env.ctl("--version")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r"^tandemctl \d+\.\d+\.\d+\n$")
        self.assertIn("--version", self.env.ctl("--help").stdout)

    def test_ctl_check_config(self):
        res = self.env.ctl("check-config", self.env.config)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.env.write_config(INVALID)
        res = self.env.ctl("check-config", self.env.config)
        self.assertEqual(res.returncode, 2)
        self.assertIn(self.env.config + ":3:3: global.bogus_key", res.stderr)
        doc = json.loads(self.env.ctl("--json", "check-config", self.env.config).stdout)
        self.assertFalse(doc["ok"])
        self.assertEqual((doc["errors"][0]["line"], doc["errors"][0]["column"]), (3, 3))

    def test_second_instance_is_refused_and_stale_socket_replaced(self):
        os.makedirs(self.env.run_dir)
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.env.sock("syncd"))
        stale.close()  # the file stays; nobody accepts on it
        first = self.env.start("syncd")
        res = run([program("syncd"), "--foreground", "--run-dir", self.env.run_dir,
                   "--config", self.env.config], check=False, timeout=30)
        self.assertEqual(res.returncode, 1)
        self.assertIn("already running", res.stderr)
        self.assertIsNone(first.poll())
        self.assertTrue(request(self.env.sock("syncd"), "ping")["ok"])

    def test_simultaneous_starts_leave_exactly_one_instance(self):
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        procs = [subprocess.Popen([program("healthd"), "--foreground", "--run-dir",
                                   self.env.run_dir, "--config", self.env.config],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
                 for _ in range(4)]
        try:
            wait_until(lambda: sum(p.poll() is not None for p in procs) == 3,
                       what="three of four instances to give up")
            alive = [p for p in procs if p.poll() is None]
            self.assertEqual(len(alive), 1)
            for p in procs:
                if p is not alive[0]:
                    self.assertEqual(p.returncode, 1)
                    self.assertIn("already running", p.stderr.read().decode())
            wait_until(lambda: self.env.answers("healthd"), what="the winner to serve")
            self.assertEqual(self.env.status("healthd")["status"]["pid"], alive[0].pid)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait(timeout=10)
                p.stderr.close()

    def test_daemonizes_without_foreground(self):
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        res = run([program("alertd"), "--run-dir", self.env.run_dir, "--config", self.env.config],
                  check=False, timeout=30, env=env)
        pid_file = os.path.join(self.env.run_dir, "alertd.pid")
        pid = None
        try:
            self.assertEqual(res.returncode, 0, res.stderr)
            # The parent returns only once the child serves its socket.
            self.assertTrue(os.path.exists(self.env.sock("alertd")))
            with open(pid_file, encoding="utf-8") as f:
                pid = int(f.read())
            st = self.env.status("alertd")["status"]
            self.assertEqual(st["pid"], pid)
            os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not os.path.exists(self.env.sock("alertd")), what="socket removed")
            wait_until(lambda: gone(pid), what="daemon exit")
        finally:
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def test_systemd_notify_protocol(self):
        """Under systemd (NOTIFY_SOCKET set) the daemon stays in the foreground
        and reports READY, RELOADING, STOPPING and watchdog pings."""
        notify_path = os.path.join(self.env.dir, "notify")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(listener.close)
        listener.bind(notify_path)
        listener.settimeout(20)
        env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        env.update(NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="200000")
        env.pop("WATCHDOG_PID", None)
        log = open(os.path.join(self.env.dir, "vrrpd.log"), "w+", encoding="utf-8")
        proc = subprocess.Popen([program("vrrpd"), "--run-dir", self.env.run_dir, "--config",
                                 self.env.config], stdout=log, stderr=subprocess.STDOUT, env=env)
        proc.log = log
        self.env.procs["vrrpd"] = proc

        def expect(prefix):
            while True:
                msg = listener.recv(4096).decode()
                if msg.startswith(prefix):
                    return msg
                # Watchdog pings may arrive between the messages we wait for.
                self.assertEqual(msg, "WATCHDOG=1", "unexpected notify message")

        self.assertIn("STATUS=running", expect("READY=1"))
        self.assertTrue(os.path.exists(self.env.sock("vrrpd")))
        self.assertIsNone(proc.poll(), "must not detach under systemd")
        self.assertEqual(expect("WATCHDOG=1"), "WATCHDOG=1")
        proc.send_signal(signal.SIGHUP)
        expect("RELOADING=1")
        expect("READY=1")
        proc.send_signal(signal.SIGTERM)
        expect("STOPPING=1")
        self.assertEqual(proc.wait(timeout=20), 0)

    def test_daemonized_start_failure_is_reported(self):
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        blocker = os.path.join(self.env.dir, "file")
        open(blocker, "w").close()
        res = run([program("director"), "--run-dir", os.path.join(blocker, "run"),
                   "--config", self.env.config], check=False, timeout=30, env=env)
        self.assertEqual(res.returncode, 1)
        self.assertIn("run directory", res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
