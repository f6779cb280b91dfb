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

    version = get("/version")
    info = get("/info")
    print(f"engine {version['Version']} (API {version['ApiVersion']}) on host {info['Name']}")
    print(f"the engine runs {info['ContainersRunning']} container(s) in total")

    # Docker sets a container's hostname to the first 12 characters of its ID.
    me = get(f"/containers/{socket.gethostname()}/json")
    print(f"this is me: {me['Name']}, id {me['Id']}")
    print(f"my image: {me['Config']['Image']}")
    print(f"my labels: {json.dumps(me['Config']['Labels'], sort_keys=True)}")
    print(f"my dropped capabilities: {me['HostConfig']['CapDrop']}")

    # In the catalog, narrow the listing to this run's containers; run by hand, list them all.
    run = json.loads(os.environ.get("CATALOG_LABELS", "{}")).get("catalog.run")
    query = "/containers/json"
    if run:
        query += "?filters=" + json.dumps({"label": [f"catalog.run={run}"]}).replace(" ", "")
    print("containers I can see:")
    for container in get(query):
        mark = "  <- me" if container["Id"] == me["Id"] else ""
        print(f"  {container['Id'][:12]}  {container['Names'][0]:<40} {container['State']}{mark}")


if __name__ == "__main__":
    main()
