"""A small web service that can tell whether it is able to do its job.

GET /        answers as long as the process runs.
GET /health  asks the service's own dependency, the store at STORE_URL, and
             answers 200 only if the store answers too; otherwise 503 with the
             reason. Docker's HEALTHCHECK calls this endpoint.
"""

import os
import signal
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORE_URL = os.environ.get("STORE_URL", "http://store:8080/")


def store_problem() -> str:
    """Empty if the store answers, else what went wrong."""
    try:
        with urllib.request.urlopen(STORE_URL + "ping", timeout=1) as response:
            return "" if response.status == 200 else f"store answered {response.status}"
    except OSError as error:
        return f"store unreachable at {STORE_URL}: {error}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            problem = store_problem()
            status, body = (503, f"unhealthy: {problem}") if problem else (200, "healthy: store ok")
        elif self.path == "/":
            status, body = 200, "hello from the app"
        else:
            status, body = 404, "not found"
        data = (body + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        if self.path != "/health":  # keep the once-a-second health calls out of the log
            print(f"{self.address_string()} {format % args}", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # docker stop: exit at once
    print(f"app listening on 8080, store at {STORE_URL}", flush=True)
    ThreadingHTTPServer(("", 8080), Handler).serve_forever()
