#!/usr/bin/python3
"""The lab's mail server: Debian's aiosmtpd, appending every accepted message
to a JSON-lines file so tests can count and read exactly what was delivered."""
import argparse
import asyncio
import json
import time

from aiosmtpd.controller import Controller


class Spool:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        record = {
            "time": time.time(),
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        print("accepted mail from %s to %s" % (envelope.mail_from, ",".join(envelope.rcpt_tos)),
              flush=True)
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:2525")
    ap.add_argument("--spool", required=True)
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    controller = Controller(Spool(args.spool), hostname=host, port=int(port))
    controller.start()
    print("smtp listening on %s" % args.listen, flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
