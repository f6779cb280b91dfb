"""Mutant: the same service as a black box: no /metrics, prose logs, no trace passed on.

Metrics: /metrics in the Prometheus text format, with rate, errors and
duration (RED) per path and status. Logs: one JSON object per request on
stdout. Traces: a W3C `traceparent` header (or, for plain clients, a
`trace_id` query parameter) is read, logged and passed on to the next service.

SERVICE names this instance; with DOWNSTREAM set, /order asks that service's
/stock; without it, the instance answers /stock itself.
"""

import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = os.environ.get("SERVICE", "service")
DOWNSTREAM = os.environ.get("DOWNSTREAM", "")
STOCK = {"apple": 12, "pear": 0}
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

LOCK = threading.Lock()
COUNTS = {}  # (path, status) -> requests
DURATIONS = {}  # path -> [count, sum of seconds]
MAIN_PATH = "/order" if DOWNSTREAM else "/stock"
COUNTS[(MAIN_PATH, "200")] = 0  # the main series starts at zero, so "before" is visible
DURATIONS[MAIN_PATH] = [0, 0.0]


def metrics_text():
    lines = [
        "# HELP http_requests_total Requests handled, by path and status.",
        "# TYPE http_requests_total counter",
    ]
    with LOCK:
        for (path, status), count in sorted(COUNTS.items()):
            labels = f'service="{SERVICE}",path="{path}",status="{status}"'
            lines.append(f"http_requests_total{{{labels}}} {count}")
        lines += [
            "# HELP http_request_duration_seconds Time spent handling requests.",
            "# TYPE http_request_duration_seconds summary",
        ]
        for path, (count, total) in sorted(DURATIONS.items()):
            labels = f'service="{SERVICE}",path="{path}"'
            lines.append(f"http_request_duration_seconds_count{{{labels}}} {count}")
            lines.append(f"http_request_duration_seconds_sum{{{labels}}} {total:.6f}")
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        started = time.monotonic()
        trace_id, _parent = self.trace(query)
        span_id = secrets.token_hex(8)
        if url.path == "/order":
            status, body = self.order(query.get("item", ""), trace_id, span_id)
        elif url.path == "/stock" and not DOWNSTREAM:
            status, body = self.stock(query.get("item", ""))
        else:
            status, body = 404, {"error": "no such path"}
        elapsed = time.monotonic() - started
        with LOCK:
            key = (url.path, str(status))
            COUNTS[key] = COUNTS.get(key, 0) + 1
            entry = DURATIONS.setdefault(url.path, [0, 0.0])
            entry[0] += 1
            entry[1] += elapsed
        # Mutant: a line of prose in this service's own words, no trace context.
        print(f"{SERVICE}: handled GET {url.path}, answered {status}", flush=True)
        self.reply(status, json.dumps({**body, "trace_id": trace_id}) + "\n", "application/json")

    def trace(self, query):
        """The trace this request belongs to: from traceparent, the query, or a new one."""
        match = TRACEPARENT.match(self.headers.get("traceparent", ""))
        if match:
            return match.group(1), match.group(2)
        if re.fullmatch(r"[0-9a-f]{32}", query.get("trace_id", "")):
            return query["trace_id"], None
        return secrets.token_hex(16), None

    def order(self, item, trace_id, span_id):
        # Mutant: the trace is not passed on; the next service starts its own.
        request = urllib.request.Request(f"http://{DOWNSTREAM}/stock?item={urllib.parse.quote(item)}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                stock = json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, {"error": f"{item or 'item'} unknown to {DOWNSTREAM}"}
        except OSError as error:
            return 502, {"error": f"{DOWNSTREAM} unreachable: {error}"}
        return 200, {"item": item, "in_stock": stock["count"] > 0}

    def stock(self, item):
        if item not in STOCK:
            return 404, {"error": f"unknown item {item!r}"}
        return 200, {"item": item, "count": STOCK[item]}

    def reply(self, status, text, content_type):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # the JSON line above replaces the default access log


server = ThreadingHTTPServer(("0.0.0.0", 8080), Handler)
print(json.dumps({"level": "info", "service": SERVICE, "msg": "listening on :8080"}), flush=True)
server.serve_forever()
