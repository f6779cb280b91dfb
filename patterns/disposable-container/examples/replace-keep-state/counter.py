"""A visit counter that can be thrown away at any moment.

Everything worth keeping lives in $STATE_DIR (a volume), written atomically on
every change; the container itself holds nothing. It is ready to serve within
milliseconds and exits at once on SIGTERM, because there is nothing to save.
"""

import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

STATE_DIR = os.environ.get("STATE_DIR", "/data")
STATE = os.path.join(STATE_DIR, "visits")
INSTANCE = socket.gethostname()  # the container ID prefix: differs for every replacement


def log(message):
    print(f"[{INSTANCE}] {message}", flush=True)


def seconds_since_process_start():
    """Seconds since the kernel started this process, interpreter start-up included."""
    with open("/proc/self/stat") as stat:
        start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
    with open("/proc/uptime") as uptime:
        now = float(uptime.read().split()[0])
    return max(0.0, now - start_ticks / os.sysconf("SC_CLK_TCK"))


def read_visits():
    try:
        with open(STATE) as state:
            return int(state.read())
    except FileNotFoundError:
        return 0


def write_visits(count):
    # Write a new file and rename it over the old one: a container killed at any
    # instant leaves either the old or the new count, never half a file.
    with open(STATE + ".tmp", "w") as state:
        state.write(f"{count}\n")
        state.flush()
        os.fsync(state.fileno())
    os.replace(STATE + ".tmp", STATE)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/visit":  # count a visit
            count = read_visits() + 1
            write_visits(count)
            body = f"visit {count}, served by {INSTANCE}\n".encode()
        elif self.path == "/visits":  # only read the count: safe to ask again and again
            body = f"{read_visits()} visits so far, says {INSTANCE}\n".encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: (log("got SIGTERM, nothing to save, bye"), sys.exit(0)))
    server = HTTPServer(("", 8080), Handler)
    log(f"found {read_visits()} earlier visits in {STATE_DIR}")
    log(f"ready in {seconds_since_process_start():.2f} s")
    server.serve_forever()


if __name__ == "__main__":
    main()
