"""The adapter: reads the worker's home-grown status file and serves it as
Prometheus text on /metrics. Only this container knows both formats."""

import os
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATUS = os.environ.get("STATUS_FILE", "/data/status.txt")
PORT = int(os.environ.get("METRICS_PORT", "9100"))
FIELDS = {  # line in the worker's format -> metric name, type, help
    "jobs processed": ("legacy_jobs_processed_total", "counter", "Jobs the worker has processed."),
    "jobs failed": ("legacy_jobs_failed_total", "counter", "Jobs that ended in an error."),
}


def metrics():
    try:
        with open(STATUS) as f:
            text = f.read()
        age = time.time() - os.stat(STATUS).st_mtime
    except OSError:
        return "# worker status not available\nlegacy_up 0\n"
    lines = []
    for label, (name, kind, help_text) in FIELDS.items():
        match = re.search(rf"^{label}: (\d+)$", text, re.M)
        if match:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {match.group(1)}"]
    up = 1 if re.search(r"^state: running$", text, re.M) and age < 10 else 0
    lines += [
        "# HELP legacy_up 1 if the worker reports it is running.",
        "# TYPE legacy_up gauge",
        f"legacy_up {up}",
    ]
    return "\n".join(lines) + "\n"


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
