"""frontend: a web page that depends on the quotes service.

Its whole interface is declared in its Dockerfile and checked here at start:
  needs   QUOTES_URL  where to fetch a quote (environment; default in the image)
          --timeout   seconds to wait for it (command line; default in CMD)
  offers  PORT        the HTTP port it serves on (environment; EXPOSEd in the image)
A value that cannot work stops the container at once, naming the setting.
"""

import argparse
import os
import signal
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer


def positive_seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def settings_from(argv: list[str]) -> tuple[str, int, float]:
    """Every input, parsed and validated before anything starts; exit code 2 names the bad one."""
    parser = argparse.ArgumentParser(prog="frontend")
    parser.add_argument("--timeout", type=positive_seconds, required=True, help="seconds to wait for quotes")
    args = parser.parse_args(argv)
    url = os.environ.get("QUOTES_URL", "")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        parser.error(f"QUOTES_URL must be an http:// URL such as http://quotes:8080/quote, not {url!r}")
    port = os.environ.get("PORT", "")
    if not port.isdigit() or not 0 < int(port) < 65536:
        parser.error(f"PORT must be a TCP port number, not {port!r}")
    return url, int(port), args.timeout


QUOTES_URL, PORT, TIMEOUT = settings_from(sys.argv[1:])


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
