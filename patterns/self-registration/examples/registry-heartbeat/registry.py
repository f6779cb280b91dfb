"""A tiny service registry: containers register themselves, send heartbeats, deregister.

PUT    /services/<name>            body {"address": ..., "port": ..., "ttl": seconds}
PUT    /services/<name>/heartbeat  keeps the registration alive for another ttl
DELETE /services/<name>            removes it at once
GET    /services                   the live registrations as JSON

A registration whose heartbeats stop is forgotten when its ttl runs out.
"""

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

services = {}  # name -> {"address", "port", "ttl", "expires"}
lock = threading.Lock()


def log(message):
    print(f"registry: {message}", flush=True)


def live():
    """The registrations that are still within their ttl; expired ones are dropped."""
    now = time.monotonic()
    with lock:
        for name in [n for n, s in services.items() if s["expires"] < now]:
            del services[name]
            log(f"expired {name} (no heartbeat within its ttl)")
        return {n: {"address": s["address"], "port": s["port"]} for n, s in services.items()}


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, payload):
        body = json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def parts(self):
        return [p for p in self.path.split("/") if p]

    def do_GET(self):
        if self.parts() == ["services"]:
            return self.reply(200, live())
        return self.reply(404, {"error": "not found"})

    def do_PUT(self):
        parts = self.parts()
        if len(parts) == 2 and parts[0] == "services":
            length = int(self.headers.get("Content-Length", 0))
            data = json.loads(self.rfile.read(length) or b"{}")
            ttl = float(data.get("ttl", 10))
            with lock:
                services[parts[1]] = {
                    "address": data["address"],
                    "port": int(data["port"]),
                    "ttl": ttl,
                    "expires": time.monotonic() + ttl,
                }
            log(f"registered {parts[1]} at {data['address']}:{data['port']} (ttl {ttl:g} s)")
            return self.reply(200, {"registered": parts[1]})
        if len(parts) == 3 and parts[0] == "services" and parts[2] == "heartbeat":
            live()
            with lock:
                entry = services.get(parts[1])
                if entry:
                    entry["expires"] = time.monotonic() + entry["ttl"]
            if not entry:
                return self.reply(404, {"error": f"{parts[1]} is not registered"})
            log(f"heartbeat from {parts[1]}")
            return self.reply(200, {"alive": parts[1]})
        return self.reply(404, {"error": "not found"})

    def do_DELETE(self):
        parts = self.parts()
        if len(parts) == 2 and parts[0] == "services":
            with lock:
                known = services.pop(parts[1], None)
            if known:
                log(f"deregistered {parts[1]} at its own request")
            return self.reply(200, {"deregistered": parts[1]})
        return self.reply(404, {"error": "not found"})

    def log_message(self, *args):
        pass  # the events above are the interesting part, not every request line


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("", 8500), Handler)
    log("listening on port 8500")
    server.serve_forever()


if __name__ == "__main__":
    main()
