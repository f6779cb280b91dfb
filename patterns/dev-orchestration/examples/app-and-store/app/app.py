"""The application: it needs the store, which it finds by its service name."""

import os
import signal
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

STORE_URL = os.environ.get("STORE_URL", "http://store:8080")


def ask_store():
    with urllib.request.urlopen(f"{STORE_URL}/greeting.txt", timeout=2) as response:
        return response.read().decode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            body = "app: the store says: " + ask_store()
        except OSError as error:
            body = f"app: the store did not answer: {error}\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    if sys.argv[1:] == ["check"]:  # one attempt, for scripts: exit 0 only if the store answers
        try:
            print("app: the store says: " + ask_store(), end="")
        except OSError as error:
            sys.exit(f"app: cannot reach the store at {STORE_URL}: {error}")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:  # a dependency may still be starting: wait for it instead of crashing
        try:
            ask_store()
            break
        except OSError as error:
            print(f"app: waiting for the store at {STORE_URL}: {error}", flush=True)
            time.sleep(1)
    print(f"app: the store at {STORE_URL} answers; serving on port 8000", flush=True)
    HTTPServer(("", 8000), Handler).serve_forever()


main()
