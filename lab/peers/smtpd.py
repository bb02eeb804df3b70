#!/usr/bin/python3
"""The lab's mail server: Debian's aiosmtpd, appending every accepted message
to a JSON-lines file so tests can count and read exactly what was delivered."""
import argparse
import asyncio
import json
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Spool:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        record = {
            "time": time.time(),
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "tls": session.ssl is not None,
            "auth_user": session.auth_data.login.decode("utf-8", "replace")
            if isinstance(session.auth_data, LoginPassword) else None,
            "auth_mechanism": getattr(session, "auth_mechanism", None),
        }
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        print("accepted mail from %s to %s" % (envelope.mail_from, ",".join(envelope.rcpt_tos)),
              flush=True)
        return "250 Message accepted for delivery"


class Authenticator:
    """Accepts exactly one user:password; remembers the mechanism used so
    tests can tell PLAIN from LOGIN."""

    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.user
              and auth_data.password == self.password)
        print("auth %s %s: %s" % (mechanism, auth_data.login if isinstance(
            auth_data, LoginPassword) else "?", "ok" if ok else "refused"), flush=True)
        if ok:
            session.auth_mechanism = mechanism
        # handled=False: aiosmtpd answers 535 itself (its default, True, means
        # "the authenticator already replied" and the client would hang).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:2525")
    ap.add_argument("--spool", required=True)
    ap.add_argument("--tls-cert", help="PEM certificate: offer and require STARTTLS")
    ap.add_argument("--tls-key", help="PEM key for --tls-cert")
    ap.add_argument("--auth", metavar="USER:PASSWORD", help="require SMTP AUTH as this user")
    ap.add_argument("--auth-exclude", action="append", default=[], metavar="MECH",
                    help="do not offer this AUTH mechanism (PLAIN, LOGIN)")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    kwargs = {}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if args.auth:
        user, _, password = args.auth.partition(":")
        kwargs.update(authenticator=Authenticator(user, password), auth_required=True,
                      auth_require_tls=bool(args.tls_cert),
                      auth_exclude_mechanism=args.auth_exclude)
    controller = Controller(Spool(args.spool), hostname=host, port=int(port), **kwargs)
    controller.start()
    print("smtp listening on %s" % args.listen, flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
