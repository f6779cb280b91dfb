"""A minimal mesh proxy, run next to every service in its network namespace.

outbound  127.0.0.1:15000  the local app calls /<service>/<path>; the proxy
                           sends it to <service>'s proxy on port 15001
inbound   0.0.0.0:15001    requests from other proxies, handed to the local
                           app on 127.0.0.1:APP_PORT

On the way it gives every request an X-Request-Id (unless it already has one)
and writes one access-log line per hop. None of this is in the services' code.
"""

import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("MESH_NAME", "proxy")
APP_PORT = int(os.environ.get("APP_PORT", "8000"))


def call(url, request_id):
    request = urllib.request.Request(url, headers={"X-Request-Id": request_id})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        return 502, f"{NAME}-proxy: upstream failed: {error}\n".encode()


class Hop(BaseHTTPRequestHandler):
    direction = ""

    def do_GET(self):
        request_id = self.headers.get("X-Request-Id") or uuid.uuid4().hex
        if self.direction == "outbound":
            service, _, rest = self.path.lstrip("/").partition("/")
            target = f"{service}:15001"
            url = f"http://{target}/{rest}"
        else:
            target = f"127.0.0.1:{APP_PORT}"
            url = f"http://{target}{self.path}"
        started = time.monotonic()
        status, body = call(url, request_id)
        millis = (time.monotonic() - started) * 1000
        print(
            f"{NAME}-proxy {self.direction} id={request_id} GET {self.path} -> {target} "
            f"status={status} ms={millis:.0f}",
            flush=True,
        )
        self.send_response(status)
        self.send_header("X-Request-Id", request_id)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(address, direction):
    handler = type(f"{direction}Hop", (Hop,), {"direction": direction})
    server = ThreadingHTTPServer(address, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


serve(("127.0.0.1", 15000), "outbound")
serve(("0.0.0.0", 15001), "inbound")
print(f"{NAME}-proxy: outbound 127.0.0.1:15000, inbound :15001 -> 127.0.0.1:{APP_PORT}", flush=True)
threading.Event().wait()
