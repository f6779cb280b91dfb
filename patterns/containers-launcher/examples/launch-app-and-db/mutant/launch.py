"""A containers launcher: one container that starts the others of an application.

    launch.py up      create a network, start the "db", run the "app" against it
    launch.py status  show the application's containers and how they are doing
    launch.py down    remove the application's containers and network

It drives the Docker Engine API over the mounted socket, with stdlib Python.
Everything it creates carries labels, so `status` and `down` (and any cleanup)
find it again. Where CATALOG_LABELS holds a JSON object of labels, they are
added too. It only uses images already on the engine: it never pulls.
"""

import http.client
import json
import os
import socket
import struct
import sys
import urllib.parse
import uuid

SOCKET = "/var/run/docker.sock"
APP = "cl-demo"
IMAGE = os.environ.get("IMAGE", "busybox:1.35")
EXTRA_LABELS = json.loads(os.environ.get("CATALOG_LABELS") or "{}")
LABELS = {**EXTRA_LABELS, "com.example.app": APP}
MIB = 1024 * 1024
APP_DEADLINE = 15  # seconds the app may take before the launcher gives up on it

# The two containers of the application: a stand-in database that serves a
# table over HTTP, and an app that queries it once and prints the result.
DB_COMMAND = [
    "sh",
    "-c",
    "mkdir /tmp/db && echo 'users: alice bob carol' > /tmp/db/users && exec httpd -f -p 5432 -h /tmp/db",
]
APP_COMMAND = [
    "sh",
    "-c",
    "for try in 1 2 3 4 5 6 7 8 9 10; do"
    " if rows=$(wget -qO- http://db:5432/users); then echo \"app: the db says '$rows'\"; exit 0; fi;"
    " sleep 0.3; done; echo 'app: no answer from db' >&2; exit 1",
]


class EngineConnection(http.client.HTTPConnection):
    def __init__(self, timeout=30):
        super().__init__("localhost", timeout=timeout)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(SOCKET)


def call(method, path, body=None, ok=(200, 201, 204), raw=False, timeout=30):
    connection = EngineConnection(timeout)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        if response.status not in ok:
            sys.exit(f"launcher: {method} {path} failed: HTTP {response.status} {data[:300]!r}")
        return data if raw else (json.loads(data) if data else None)
    finally:
        connection.close()


def query(**params):
    encoded = {key: json.dumps(value) if isinstance(value, dict) else value for key, value in params.items()}
    return "?" + urllib.parse.urlencode(encoded)


def label_filter():
    return {"label": [f"{key}={value}" for key, value in sorted(LABELS.items())]}


def hardened(network, role):
    """HostConfig for every launched container: least privilege, small limits."""
    return {
        "NetworkMode": network,
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges"],
        "Memory": 64 * MIB,
        "MemorySwap": 64 * MIB,
        "PidsLimit": 32,
        "ReadonlyRootfs": True,
        "Tmpfs": {"/tmp": "rw,nosuid,nodev,size=1m"},
    }


def start(role, command, network):
    spec = {
        "Image": IMAGE,
        "Cmd": command,
        "User": "65534:65534",
        "Labels": {**LABELS, "com.example.role": role},
        "HostConfig": hardened(network, role),
        # Other containers on the network find this one by its role name.
        "NetworkingConfig": {"EndpointsConfig": {network: {"Aliases": [role]}}},
    }
    created = call("POST", "/containers/create", spec)
    call("POST", f"/containers/{created['Id']}/start")
    print(f"launcher: started {role} ({created['Id'][:12]}) from {IMAGE}", flush=True)
    return created["Id"]


def logs(container):
    """A container's output; without a TTY the engine frames it: 8-byte header, then the bytes."""
    data = call("GET", f"/containers/{container}/logs?stdout=1&stderr=1", raw=True)
    text, offset = [], 0
    while offset + 8 <= len(data):
        size = struct.unpack(">I", data[offset + 4 : offset + 8])[0]
        text.append(data[offset + 8 : offset + 8 + size].decode(errors="replace"))
        offset += 8 + size
    return "".join(text).strip()


def up():
    # Local images only: a launcher that pulls would run whatever the registry serves today.
    call("GET", f"/images/{urllib.parse.quote(IMAGE, safe='')}/json", ok=(200,))
    network = f"{APP}-{uuid.uuid4().hex[:8]}"
    call("POST", "/networks/create", {"Name": network, "Internal": True, "Labels": LABELS})
    print(f"launcher: created network {network} (internal, no way out)", flush=True)
    start("db", DB_COMMAND, network)
    start("app", APP_COMMAND, network)
    # Mutant: fire and forget, like a script of `docker run -d` lines; whether
    # the app worked is for the user to find out.
    return 0


def status():
    found = call("GET", "/containers/json" + query(all=1, filters=label_filter()))
    if not found:
        print(f"launcher: no containers of {APP}")
    for container in sorted(found, key=lambda c: c["Labels"].get("com.example.role", "")):
        role = container["Labels"].get("com.example.role", "?")
        print(f"launcher: {role:<4} {container['State']:<8} {container['Status']}")
        details = call("GET", f"/containers/{container['Id']}/json")
        host = details["HostConfig"]
        print(
            f"launcher:      user {details['Config']['User']}, cap_drop {','.join(host['CapDrop'])},"
            f" {','.join(host['SecurityOpt'])}, memory {host['Memory'] // MIB} MiB,"
            f" read-only root {host['ReadonlyRootfs']}, network {host['NetworkMode']}"
        )
    return 0


def down():
    for container in call("GET", "/containers/json" + query(all=1, filters=label_filter())):
        call("DELETE", f"/containers/{container['Id']}?force=1&v=1")
        print(f"launcher: removed {container['Labels'].get('com.example.role', '?')} container")
    for network in call("GET", "/networks" + query(filters=label_filter())):
        call("DELETE", f"/networks/{network['Id']}")
        print(f"launcher: removed network {network['Name']}")
    return 0


if __name__ == "__main__":
    if not os.path.exists(SOCKET):
        sys.exit(f"launcher: no Docker socket at {SOCKET}; run me with -v {SOCKET}:{SOCKET}")
    action = sys.argv[1] if len(sys.argv) > 1 else "up"
    sys.exit({"up": up, "status": status, "down": down}[action]())
