"""A greeting service whose whole interface is declared in its Dockerfile.

Inputs:  GREETING and PORT (environment, with defaults set by ENV in the image).
Outputs: GET / answers with the greeting, GET /health answers "ok".
`help` as the command prints this interface and exits.
"""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

GREETING = os.environ.get("GREETING", "")
PORT = int(os.environ.get("PORT", "0"))

HELP = f"""greeter: answers HTTP requests with a greeting
  environment:
    GREETING  the text to answer with   (now: {GREETING!r})
    PORT      the TCP port to listen on (now: {PORT})
  endpoints:
    GET /        the greeting
    GET /health  "ok" while the service works
  commands:
    serve (default)  run the service
    help             print this text"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body, status = "ok\n", 200
        elif self.path == "/":
            body, status = f"{GREETING}\n", 200
        else:
            body, status = "not found\n", 404
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(f"request: {fmt % args}", flush=True)


def main(argv):
    command = argv[1] if len(argv) > 1 else "serve"
    if command == "help":
        print(HELP)
        return 0
    if command != "serve":
        print(f"unknown command {command!r}; try 'help'", file=sys.stderr)
        return 2
    if not GREETING or not PORT:
        print("GREETING and PORT must be set", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = HTTPServer(("0.0.0.0", PORT), Handler)
    print(f"greeter listening on port {PORT}, greeting {GREETING!r}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
