"""Mutant: the same frontend with an implicit interface.

The address of the service it depends on and the port it serves on are
written into the code: nothing declares them, nothing can change them, and
nothing checks them.
"""

import signal
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

QUOTES_URL = "http://quotes:8080/quote"
PORT = 8000
TIMEOUT = 2.0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with urllib.request.urlopen(QUOTES_URL, timeout=TIMEOUT) as answer:
                quote = answer.read().decode().strip()
            status, body = 200, f"quote of the day: {quote} (from {QUOTES_URL})\n"
        except OSError as error:  # urllib's URLError included
            status, body = 502, f"quotes at {QUOTES_URL} did not answer: {error}\n"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"frontend: serving on port {PORT}, quotes from {QUOTES_URL}", flush=True)
HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
