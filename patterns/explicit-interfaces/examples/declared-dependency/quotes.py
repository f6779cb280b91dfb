"""quotes: a small service that other containers depend on.

Offers: GET /quote on $PORT answers with $QUOTE. Both have defaults in the image.
"""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(os.environ["PORT"])
QUOTE = os.environ["QUOTE"]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.path == "/quote"
        body = f"{QUOTE}\n".encode() if found else b"not found\n"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"quotes: serving /quote on port {PORT}", flush=True)
HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
