"""tandem-alertd mailing through an aiosmtpd that requires STARTTLS (with a
self-signed certificate the test makes) and SMTP AUTH PLAIN or LOGIN; a wrong
password is a clear error, keeps the job, and the job goes out once the
password file is fixed. Loopback only, ephemeral ports."""
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "alerts_smtp"))
from harness import RETRY_BOUND, AlertdHarness, free_port, request, wait_until  # noqa: E402

CONFIG = """global:
  log_level: info
alerts:
  spool_dir: {spool}
  senders:
    plain:
      type: mail
      server: 127.0.0.1
      port: {smtp_port}
      starttls: true
      ca_file: {dir}/cert.pem
      user: tandem
      password_file: {dir}/password
      from: tandem@alerts.test
      to: [ops@alerts.test]
      timeout: 5s
    login:
      type: mail
      server: 127.0.0.1
      port: {login_port}
      starttls: true
      ca_file: {dir}/cert.pem
      user: tandem
      password_file: {dir}/password
      from: tandem@alerts.test
      to: [ops@alerts.test]
      timeout: 5s
    untrusted:
      type: mail
      server: 127.0.0.1
      port: {smtp_port}
      starttls: true
      from: tandem@alerts.test
      to: [ops@alerts.test]
      timeout: 5s
  routes:
    - name: auth
      senders: [plain, login]
    - name: untrusted
      senders: [untrusted]
"""


class AlertsTlsTest(AlertdHarness):
    CONFIG = CONFIG

    def setUp(self):
        super().setUp()
        self.login_port = free_port()
        self.login_mails = os.path.join(self.dir, "login-mails.jsonl")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-keyout", os.path.join(self.dir, "key.pem"),
             "-out", os.path.join(self.dir, "cert.pem"),
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=60)
        self.set_password("s3cret")
        self.write_config(login_port=self.login_port)

    def set_password(self, pw):
        with open(os.path.join(self.dir, "password"), "w", encoding="utf-8") as f:
            f.write(pw + "\n")

    def start_servers(self):
        tls = ["--tls-cert", os.path.join(self.dir, "cert.pem"),
               "--tls-key", os.path.join(self.dir, "key.pem"), "--auth", "tandem:s3cret"]
        self.start_smtp(*tls)
        self.start_smtp(*tls, "--auth-exclude", "PLAIN", port=self.login_port,
                        spool=self.login_mails, name="smtpd-login")

    def queued(self, sender):
        return [q for q in self.alerts()["queue"] if q["sender"] == sender]

    def test_starttls_with_auth_plain_and_login(self):
        self.start_servers()
        self.start_alertd()
        jobs = self.event("rs1", "tls-probe failed", service="")
        self.assertEqual(len(jobs), 3)  # plain, login, untrusted
        wait_until(lambda: self.mails_with("tls-probe") and
                   self.mails_with("tls-probe", self.login_mails),
                   timeout=RETRY_BOUND, what="both authenticated mails delivered")
        plain = self.mails_with("tls-probe")
        login = self.mails_with("tls-probe", self.login_mails)
        self.assertEqual(len(plain), 1)
        self.assertEqual(len(login), 1)
        for mail, mech in ((plain[0], "PLAIN"), (login[0], "LOGIN")):
            self.assertTrue(mail["tls"], mail)
            self.assertEqual(mail["auth_user"], "tandem")
            self.assertEqual(mail["auth_mechanism"], mech)
        # A certificate nobody vouches for is refused, never sent in clear.
        wait_until(lambda: any(q["attempts"] >= 1 for q in self.queued("untrusted")),
                   timeout=RETRY_BOUND, what="untrusted attempt failed")
        err = self.queued("untrusted")[0]["last_error"]
        self.assertRegex(err.lower(), "certificate|ssl")
        self.assertEqual(len(self.mails_with("tls-probe")), 1)

    def test_wrong_password_is_reported_kept_and_sent_once_fixed(self):
        self.set_password("wrong")
        self.start_servers()
        self.start_alertd()
        request(self.sock, "alert-test", {"route": "auth"})
        wait_until(lambda: any(q["attempts"] >= 1 for q in self.queued("plain")),
                   timeout=RETRY_BOUND, what="failed AUTH attempt")
        err = self.queued("plain")[0]["last_error"]
        self.assertIn("SMTP AUTH as tandem refused by 127.0.0.1", err)
        self.assertEqual(self.mails_with("test alert"), [])
        recent = [r for r in self.alerts()["recent"] if r["sender"] == "plain"]
        self.assertTrue(recent and recent[-1]["status"] == "retrying", recent)
        # The password file is read per attempt: fixing it delivers the job.
        self.set_password("s3cret")
        wait_until(lambda: not self.queued("plain") and not self.queued("login"),
                   timeout=RETRY_BOUND, what="queue drained after the fix")
        self.assertEqual(len(self.mails_with("test alert through route auth")), 1)
        self.assertEqual(len(self.mails_with("test alert through route auth",
                                             self.login_mails)), 1)


if __name__ == "__main__":
    unittest.main()
