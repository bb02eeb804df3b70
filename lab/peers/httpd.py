#!/usr/bin/python3
"""A real server's HTTP service for the lab and the tests.

Serves /health ("ok"), / (names the server, so a client can see where the
director sent it) and a few controls the health-check tests use to make a
server misbehave without stopping it: /control/status/<code>, /control/body/<text>,
/control/hang, /control/reset. Stdlib only, so it runs wherever Debian's
python3 does.
"""
import argparse
import http.server
import threading
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


class State:
    status = 200
    body = "ok\n"
    hang = False


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "tandem-lab-httpd/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep logs terse: one line per request
        print("%s %s" % (self.client_address[0], fmt % args), flush=True)

    def _send(self, code, text, head=False):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _route(self, head):
        path = self.path.split("?", 1)[0]
        if path.startswith("/control/"):
            parts = path.split("/", 3)
            verb = parts[2]
            arg = parts[3] if len(parts) > 3 else ""
            if verb == "status":
                State.status = int(arg)
            elif verb == "body":
                State.body = arg + "\n"
            elif verb == "hang":
                State.hang = True
            elif verb == "reset":
                State.status, State.body, State.hang = 200, "ok\n", False
            return self._send(200, "control %s %s\n" % (verb, arg), head)
        if path == "/health":
            if State.hang:
                time.sleep(3600)
            return self._send(State.status, State.body, head)
        if path.startswith("/bytes/"):
            n = min(int(path.split("/")[2]), 64 << 20)
            return self._send(200, "x" * n, head)
        return self._send(200, "hello from %s\n" % self.server.name, head)

    def do_GET(self):
        self._route(False)

    def do_HEAD(self):
        self._route(True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--name", default="rs")
    args = ap.parse_args()
    srv = Server((args.listen, args.port), Handler)
    srv.name = args.name
    print("listening on %s:%d as %s" % (args.listen or "*", args.port, args.name), flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
