#!/usr/bin/python3
"""The .deb installs into a fresh Debian 12 root and works there.

A minbase debootstrap of bookworm (cached in the build directory, as is a
copy with the package's dependencies added) is copied to a scratch root for
each run. In that root the test installs the .deb with apt, runs every
binary's --version and --check-config, verifies the units with
systemd-analyze, then upgrades (the configuration and the alert spool stay),
removes (services' files go, configuration stays) and purges (configuration
and spool go).

Every command in the root runs in its own private mount namespace
(unshare), so the /proc and /dev mounts it needs vanish with it even when
the test is killed; the test also checks that none is left behind.

The .deb is $TANDEM_DEB if set, else built from HEAD (the working tree
with TANDEM_PACKAGE_WORKTREE=1) by scripts/package --keep, incremental
after the first build. The cache lives
in <build>/package-test; the first run needs the network (debootstrap, apt).
"""
import fcntl
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tandemtest import BIN, REPO, run  # noqa: E402

BUILD = os.path.dirname(os.path.abspath(BIN))
CACHE = os.path.join(BUILD, "package-test")
MIRROR = os.environ.get("TANDEM_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
DAEMONS = ["tandem-director", "tandem-healthd", "tandem-vrrpd", "tandem-syncd", "tandem-alertd"]
UNITS = ["tandem.target"] + [d + ".service" for d in DAEMONS]
TIMINGS = []


def timed(what):
    class Timer:
        def __enter__(self):
            self.t0 = time.monotonic()

        def __exit__(self, *exc):
            TIMINGS.append((what, time.monotonic() - self.t0))
    return Timer()


def in_root(root, script, check=True, timeout=600):
    """Runs a shell script chrooted in root, with /proc and /dev mounted in a
    private mount namespace that dies with the command."""
    setup = ('set -e; mount -t proc proc "$R/proc"; mount --bind /dev "$R/dev"; '
             'exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin '
             'HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c "$S"')
    env = dict(os.environ, R=root, S=script)
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c", setup],
               check=check, timeout=timeout, env=env)


def untar(tarball, root):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    run(["tar", "-C", root, "--numeric-owner", "-xpf", tarball], timeout=600)


def tar(root, tarball):
    run(["tar", "-C", root, "--numeric-owner", "-cpf", tarball + ".tmp", "."], timeout=600)
    os.replace(tarball + ".tmp", tarball)


def base_tarball():
    """minbase bookworm, made once per build directory."""
    tarball = os.path.join(CACHE, "%s-minbase.tar" % SUITE)
    if os.path.exists(tarball):
        return tarball
    root = os.path.join(CACHE, "debootstrap")
    shutil.rmtree(root, ignore_errors=True)
    with timed("debootstrap (cold)"):
        run(["unshare", "--mount", "--propagation", "private", "debootstrap",
             "--variant=minbase", SUITE, root, MIRROR], timeout=1800)
    tar(root, tarball)
    shutil.rmtree(root)
    return tarball


def first_alternatives(depends):
    """'libc6 (>= 2.34), systemd | systemd-sysusers' -> ['libc6', 'systemd']"""
    names = []
    for dep in depends.split(","):
        name = re.sub(r"\(.*?\)|:any|\[.*?\]", "", dep.split("|")[0]).strip()
        if name:
            names.append(name)
    return names


def deps_tarball(deb):
    """The base root plus the .deb's dependencies, cached per Depends line, so
    a warm run needs no network."""
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    key = hashlib.sha256(depends.encode()).hexdigest()[:16]
    tarball = os.path.join(CACHE, "%s-deps-%s.tar" % (SUITE, key))
    if os.path.exists(tarball):
        return tarball
    # Start from the last dependency stage when there is one: a changed
    # Depends line then costs only the packages it adds.
    older = sorted((os.path.join(CACHE, f) for f in os.listdir(CACHE)
                    if re.match(r"%s-deps-.*\.tar$" % SUITE, f)), key=os.path.getmtime)
    start = older[-1] if older else base_tarball()
    root = os.path.join(CACHE, "deps-root")
    with timed("dependencies (cold)"):
        untar(start, root)
        shutil.copy("/etc/resolv.conf", os.path.join(root, "etc", "resolv.conf"))
        in_root(root, "apt-get update -qq && apt-get install -y -qq --no-install-recommends %s"
                " >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }; apt-get clean"
                # man-db: systemd-analyze verify checks each unit's man: link.
                % " ".join(first_alternatives(depends) + ["man-db"]), timeout=1800)
        tar(root, tarball)
    shutil.rmtree(root)
    return tarball


def the_deb():
    if os.environ.get("TANDEM_DEB"):
        return os.path.abspath(os.environ["TANDEM_DEB"])
    out = os.path.join(CACHE, "deb")
    shutil.rmtree(out, ignore_errors=True)
    with timed("scripts/package --deb-only"):
        worktree = ["--worktree"] if os.environ.get("TANDEM_PACKAGE_WORKTREE") else []
        run([os.path.join(REPO, "scripts", "package"), "--deb-only"] + worktree +
            ["--keep", os.path.join(CACHE, "src"), "--out", out], timeout=3600)
    debs = [f for f in os.listdir(out) if re.match(r"tandem_.*\.deb$", f)]
    assert len(debs) == 1, debs
    return os.path.join(out, debs[0])


def bumped(deb, workdir):
    """The same package with a higher version, to exercise an upgrade."""
    tree = os.path.join(workdir, "tree")
    run(["dpkg-deb", "-R", deb, tree])
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control) as f:
        text = f.read()
    text = re.sub(r"^Version: (.*)$", r"Version: \1+upgrade1", text, flags=re.M)
    with open(control, "w") as f:
        f.write(text)
    out = os.path.join(workdir, "tandem-upgrade.deb")
    run(["dpkg-deb", "--root-owner-group", "-b", tree, out])
    return out


def mounts_under(path):
    with open("/proc/self/mounts") as f:
        return [line.split()[1] for line in f if line.split()[1].startswith(path)]


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(CACHE, exist_ok=True)
        cls.lock = open(os.path.join(CACHE, "lock"), "w")
        fcntl.flock(cls.lock, fcntl.LOCK_EX)
        cls.t0 = time.monotonic()
        cls.deb = the_deb()
        cls.version = run(["dpkg-deb", "-f", cls.deb, "Version"]).stdout.strip()
        tarball = deps_tarball(cls.deb)
        cls.root = tempfile.mkdtemp(prefix="root-", dir=CACHE)
        with timed("fresh root"):
            untar(tarball, cls.root)
        shutil.copy(cls.deb, os.path.join(cls.root, "tmp", "tandem.deb"))
        shutil.copy(bumped(cls.deb, tempfile.mkdtemp(dir=cls.root + "/tmp")),
                    os.path.join(cls.root, "tmp", "tandem-upgrade.deb"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        fcntl.flock(cls.lock, fcntl.LOCK_UN)
        TIMINGS.append(("total", time.monotonic() - cls.t0))
        for what, secs in TIMINGS:
            print("package-test: %-30s %6.1f s" % (what, secs), file=sys.stderr)

    def sh(self, script, check=True):
        return in_root(self.root, script, check=check)

    def test_lifecycle(self):
        # One test, in order: each step starts from the state the last left.
        with timed("install + checks"):
            self.install()
            self.binaries()
            self.units()
        with timed("upgrade, remove, purge"):
            self.upgrade()
            self.remove_and_purge()
        self.assertEqual(mounts_under(self.root), [], "a mount was left behind")

    def install(self):
        res = self.sh("apt-get install -y --no-install-recommends /tmp/tandem.deb 2>&1")
        self.assertIn("Setting up tandem (%s)" % self.version, res.stdout)
        status = self.sh("dpkg-query -W -f='${Status} ${Version}' tandem").stdout
        self.assertEqual(status, "install ok installed " + self.version)
        # sysusers made the account; tmpfiles the run and spool directories.
        self.assertRegex(self.sh("getent passwd tandem").stdout,
                         r"^tandem:x:\d+:\d+:Tandem director suite:/nonexistent:/usr/sbin/nologin")
        self.assertEqual(self.sh("stat -c '%U:%G %a' /var/spool/tandem /run/tandem").stdout.split("\n")[:2],
                         ["tandem:tandem 750", "tandem:tandem 770"])
        conffiles = self.sh("dpkg-query -W -f='${Conffiles}' tandem").stdout
        self.assertIn("/etc/tandem/tandem.yaml", conffiles)
        for page in ["man1/tandemctl.1.gz", "man5/tandem.yaml.5.gz"] + \
                    ["man8/%s.8.gz" % d for d in DAEMONS + ["tandem-healthcheck"]]:
            self.sh("test -s /usr/share/man/" + page)
        self.sh("test -s /usr/share/doc/tandem/configuration.md")

    def binaries(self):
        for prog in (["/usr/sbin/" + d for d in DAEMONS + ["tandem-healthcheck"]] +
                     ["/usr/bin/tandemctl"]):
            name = os.path.basename(prog)
            out = self.sh(prog + " --version").stdout.strip()
            self.assertEqual(out, "%s %s" % (name, self.version.split("-")[0].split("+")[0]))
        for d in DAEMONS:
            res = self.sh("/usr/sbin/%s --check-config" % d, check=False)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            # It really validates: a broken file is refused with its position.
            res = self.sh("printf 'services:\\n  - nam: x\\n' >/tmp/bad.yaml; "
                          "/usr/sbin/%s --check-config --config /tmp/bad.yaml 2>&1" % d, check=False)
            self.assertEqual(res.returncode, 2, res.stdout)
            self.assertIn("/tmp/bad.yaml:2:", res.stdout)
        res = self.sh("tandemctl check-config /etc/tandem/tandem.yaml", check=False)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        res = self.sh("tandemctl check-config /tmp/bad.yaml", check=False)
        self.assertEqual(res.returncode, 2, res.stdout + res.stderr)
        # The daemons run as tandem: that account can read the configuration.
        res = self.sh("setpriv --reuid=tandem --regid=tandem --clear-groups "
                      "/usr/sbin/tandem-healthd --check-config", check=False)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)

    def units(self):
        paths = " ".join("/lib/systemd/system/" + u for u in UNITS)
        res = self.sh("systemd-analyze verify %s 2>&1" % paths, check=False)
        self.assertEqual(res.returncode, 0, res.stdout)
        self.assertEqual(res.stdout.strip(), "", "systemd-analyze verify warned")
        # Installed but not enabled: the shipped configuration is an example.
        enabled = self.sh("systemctl is-enabled %s 2>&1" % " ".join(UNITS), check=False).stdout
        self.assertEqual(enabled.split(), ["disabled"] * len(UNITS))

    def upgrade(self):
        self.sh("echo '# local change' >>/etc/tandem/tandem.yaml; "
                "echo job >/var/spool/tandem/queued-job")
        res = self.sh("dpkg -i --force-confnew /tmp/tandem-upgrade.deb 2>&1 </dev/null")
        self.assertIn("Setting up tandem (%s+upgrade1)" % self.version, res.stdout)
        # --force-confnew would take the package's file had dpkg considered it
        # changed; the package's copy is unchanged, so the local edit stays.
        self.assertIn("# local change", self.sh("cat /etc/tandem/tandem.yaml").stdout)
        self.assertEqual(self.sh("cat /var/spool/tandem/queued-job").stdout, "job\n")

    def remove_and_purge(self):
        self.sh("dpkg -r tandem")
        self.sh("test ! -e /usr/sbin/tandem-director && test ! -e /lib/systemd/system/tandem.target")
        self.sh("test -f /etc/tandem/tandem.yaml && test -f /var/spool/tandem/queued-job")
        self.sh("dpkg -P tandem")
        self.sh("test ! -e /etc/tandem && test ! -e /var/spool/tandem && test ! -e /run/tandem")
        self.assertNotEqual(self.sh("dpkg -s tandem", check=False).returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
