#!/usr/bin/python3
"""The lab's pager: accepts HTTP POSTs (the page webhook) and appends each body
with its path and headers to a JSON-lines file."""
import argparse
import http.server
import json
import time


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # The stdlib's server_bind resolves the listen address's name; inside a
        # lab namespace there is no resolver and that stalls start-up.
        import socketserver
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with open(self.server.out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"time": time.time(), "path": self.path,
                                "headers": dict(self.headers), "body": body}) + "\n")
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:8080")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    srv = Server((host, int(port)), Handler)
    srv.out = args.out
    print("webhook listening on %s" % args.listen, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
