"""Talk to the Docker Engine API through a mounted socket, with nothing but the stdlib.

The engine listens on a Unix socket and speaks plain HTTP. Whoever can open
that socket can ask the engine anything, including about the container the
question comes from.
"""

import http.client
import json
import os
import socket
import sys

SOCKET = "/var/run/docker.sock"


class EngineConnection(http.client.HTTPConnection):
    """HTTP over the engine's Unix socket instead of TCP."""

    def __init__(self):
        super().__init__("localhost", timeout=5)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(SOCKET)


def get(path):
    connection = EngineConnection()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"GET {path}: HTTP {response.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


def main():
    if not os.path.exists(SOCKET):
        sys.exit(f"no Docker socket at {SOCKET}: this container cannot see the engine")

    # Mutant: the socket is there, but nothing speaks to the engine through it.
    # An isolated container knows only what it sees of itself.
    print(f"this is me: hostname {socket.gethostname()}, nothing more without the engine")


if __name__ == "__main__":
    main()
