"""A tiny key-value store over HTTP, standing in for a Redis primary or replica.

GET /kv/<key> reads a value, PUT or POST /kv/<key> stores one. A primary
passes every write on to its replica (REPLICATE_TO), like Redis replication.
"""

import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = os.environ.get("ROLE", "primary")
REPLICATE_TO = os.environ.get("REPLICATE_TO", "")
DATA = {}


class Store(BaseHTTPRequestHandler):
    def reply(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def key(self):
        return self.path.removeprefix("/kv/")

    def do_GET(self):
        key = self.key()
        print(f"{ROLE}: GET {key}", flush=True)
        if key in DATA:
            self.reply(200, f"{key}={DATA[key]} (read from {ROLE})")
        else:
            self.reply(404, f"{key} not found on {ROLE}")

    def do_PUT(self):
        key = self.key()
        value = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode().strip()
        DATA[key] = value
        replicated = self.headers.get("X-Replication") == "1"
        print(f"{ROLE}: {'REPLICATE' if replicated else 'SET'} {key}={value}", flush=True)
        if REPLICATE_TO and not replicated:
            request = urllib.request.Request(
                f"http://{REPLICATE_TO}/kv/{key}",
                data=value.encode(),
                method="PUT",
                headers={"X-Replication": "1"},
            )
            urllib.request.urlopen(request, timeout=5).read()
        self.reply(200, f"stored {key}={value} on {ROLE}")

    do_POST = do_PUT

    def log_message(self, *args):
        pass  # one line per request is printed above


server = ThreadingHTTPServer(("0.0.0.0", 6379), Store)
print(f"{ROLE}: listening on :6379", flush=True)
server.serve_forever()
