"""The ambassador: a local proxy that splits reads and writes between two servers.

It listens on 127.0.0.1 only, inside the application's network namespace.
Reads (GET) go to the replica, everything else to the primary. Where those
servers live is this container's configuration, not the application's.
"""

import os
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRIMARY = os.environ["PRIMARY"]
REPLICA = os.environ["REPLICA"]


class Proxy(BaseHTTPRequestHandler):
    def forward(self, upstream):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(f"http://{upstream}{self.path}", data=body, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except OSError as error:
            status, payload = 502, f"ambassador: {upstream} unreachable: {error}\n".encode()
        print(f"ambassador: {self.command} {self.path} -> {upstream} ({status})", flush=True)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.forward(PRIMARY)  # mutant: reads go to the primary too

    def do_PUT(self):
        self.forward(PRIMARY)

    do_POST = do_PUT

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 6379), Proxy)
print(f"ambassador: localhost:6379, reads -> {REPLICA}, writes -> {PRIMARY}", flush=True)
server.serve_forever()
