"""A minimal mesh proxy, run next to every service in its network namespace.

outbound  127.0.0.1:15000  the local app calls /<service>/<path>; the proxy
                           sends it to <service>'s proxy on port 15001
inbound   0.0.0.0:15001    requests from other proxies, handed to the local
                           app on 127.0.0.1:APP_PORT

Mutant: the proxy only forwards. It adds no X-Request-Id, passes on none it
receives and writes no access log, so the network concerns the mesh should
take care of are nobody's job.
"""

import os
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("MESH_NAME", "proxy")
APP_PORT = int(os.environ.get("APP_PORT", "8000"))


def call(url):
    request = urllib.request.Request(url)
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
        if self.direction == "outbound":
            service, _, rest = self.path.lstrip("/").partition("/")
            target = f"{service}:15001"
            url = f"http://{target}/{rest}"
        else:
            target = f"127.0.0.1:{APP_PORT}"
            url = f"http://{target}{self.path}"
        status, body = call(url)
        self.send_response(status)
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
