"""Mutant: the same service with self-registration taken out.

It serves and stops cleanly on SIGTERM, but never registers, sends no
heartbeats and never deregisters: finding it is left to someone else.
"""

import http.client
import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("SERVICE_NAME", "greeter")
PORT = int(os.environ.get("SERVICE_PORT", "8080"))
REGISTRY = os.environ.get("REGISTRY", "registry:8500")
TTL = float(os.environ.get("TTL", "10"))
HEARTBEAT = float(os.environ.get("HEARTBEAT", "1"))
ADDRESS = socket.gethostbyname(socket.gethostname())  # this container's own IP

stopping = threading.Event()


def log(message):
    print(f"{NAME}: {message}", flush=True)


def call(method, path, payload=None):
    connection = http.client.HTTPConnection(REGISTRY, timeout=2)
    try:
        body = json.dumps(payload) if payload is not None else None
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def register():
    return call("PUT", f"/services/{NAME}", {"address": ADDRESS, "port": PORT, "ttl": TTL})


def keep_registered():
    """Register (retrying until the registry answers), then heartbeat until asked to stop."""
    registered = False
    while not stopping.is_set():
        try:
            if not registered:
                registered = register() == 200
                if registered:
                    log(f"registered as {NAME} at {ADDRESS}:{PORT}")
            elif call("PUT", f"/services/{NAME}/heartbeat") == 404:
                registered = False  # the registry forgot us (restarted?): register again
        except OSError as error:
            log(f"registry not reachable yet ({error.__class__.__name__}), retrying")
        stopping.wait(HEARTBEAT if registered else 0.2)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from {NAME} at {ADDRESS}:{PORT}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server = ThreadingHTTPServer(("", PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log(f"serving on port {PORT}")

    stopping.wait()  # until SIGTERM
    log("got SIGTERM, exiting")
    server.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
