"""Mutant: a pass-through that serves the worker's home-grown status file on
/metrics unchanged, with no translation into the Prometheus format."""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATUS = os.environ.get("STATUS_FILE", "/data/status.txt")
PORT = int(os.environ.get("METRICS_PORT", "9100"))
FIELDS = {  # line in the worker's format -> metric name, type, help
    "jobs processed": ("legacy_jobs_processed_total", "counter", "Jobs the worker has processed."),
    "jobs failed": ("legacy_jobs_failed_total", "counter", "Jobs that ended in an error."),
}


def metrics():
    # No translation: the worker's own format goes out as it is.
    try:
        with open(STATUS) as f:
            return f.read()
    except OSError:
        return "status not available\n"


class Metrics(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        body = metrics().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("0.0.0.0", PORT), Metrics)
print(f"adapter: {STATUS} -> http://:{PORT}/metrics", flush=True)
server.serve_forever()
