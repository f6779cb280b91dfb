"""keeperd: a stand-in for a classic Unix server, a tiny key-value store.

It was written for a machine with an init system and keeps that world's habits.
Nothing in this file is changed for the container; the Dockerfile adapts it.

- It detaches into the background unless started with --foreground.
- It writes its log to /var/log/keeperd/keeperd.log and its errors to
  /var/log/keeperd/error.log, files it opens itself.
- It reads /etc/keeperd/keeperd.conf after detaching; a bad setting ends it
  with exit code 1.
- Like PostgreSQL, it has two ways to stop: SIGTERM asks for a "smart"
  shutdown that takes no new sessions and waits until every client has hung
  up; SIGINT asks for a "fast" shutdown that closes the sessions and exits.
"""

import argparse
import os
import selectors
import signal
import socket
import sys
import time

LOG_DIR = "/var/log/keeperd"
CONFIG = "/etc/keeperd/keeperd.conf"

log_file = err_file = None
shutdown = None  # None, "smart" or "fast", set by the signal handlers
store: dict[str, str] = {}


def stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def log(message: str) -> None:
    log_file.write(f"{stamp()} LOG:   {message}\n")


def fatal(message: str) -> None:
    err_file.write(f"{stamp()} FATAL: {message}\n")


def detach() -> None:
    """The classic double fork: the command returns at once, the server lives on in the background."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)


def read_config(path: str) -> dict:
    settings = {"port": 7379, "max_sessions": 10}
    with open(path) as config:
        for number, line in enumerate(config, start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, value = (part.strip() for part in line.partition("="))
            if key not in settings:
                raise ValueError(f"{path} line {number}: unknown setting {key!r}")
            if not value.isdigit():
                raise ValueError(f"{path} line {number}: {key} must be a whole number, not {value!r}")
            settings[key] = int(value)
    return settings


def on_signal(number, _frame) -> None:
    global shutdown
    shutdown = "fast" if number == signal.SIGINT else "smart"


def serve(settings: dict) -> int:
    try:
        listener = socket.create_server(("0.0.0.0", settings["port"]))
    except OSError as error:
        fatal(f"cannot listen on port {settings['port']}: {error}")
        return 1
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    sessions: dict[socket.socket, int] = {}
    opened = 0
    announced = None
    log(f"ready to accept sessions on port {settings['port']}")
    while True:
        if shutdown == "fast":
            log(f"received SIGINT: fast shutdown, closing {len(sessions)} open session(s)")
            for client in sessions:
                client.sendall(b"BYE server shutting down\n")
                client.close()
            log("shut down cleanly")
            return 0
        if shutdown == "smart" and announced != "smart":
            announced = "smart"
            selector.unregister(listener)
            listener.close()
            log("received SIGTERM: smart shutdown, no new sessions")
            log(f"waiting for {len(sessions)} open session(s) to end")
        if shutdown == "smart" and not sessions:
            log("shut down cleanly")
            return 0
        for key, _ in selector.select(timeout=0.2):
            if key.fileobj is listener:
                client, address = listener.accept()
                if len(sessions) >= settings["max_sessions"]:
                    client.sendall(b"ERR too many sessions\n")
                    client.close()
                    continue
                opened += 1
                sessions[client] = opened
                selector.register(client, selectors.EVENT_READ)
                log(f"session {opened} opened from {address[0]}")
                client.sendall(b"keeperd ready\n")
                continue
            client = key.fileobj
            data = client.recv(4096)
            words = data.decode(errors="replace").split()
            if not words or words[0].upper() == "QUIT":
                log(f"session {sessions.pop(client)} closed")
                selector.unregister(client)
                client.close()
            elif words[0].upper() == "SET" and len(words) >= 3:
                store[words[1]] = " ".join(words[2:])
                log(f"session {sessions[client]}: SET {words[1]}")
                client.sendall(b"OK\n")
            elif words[0].upper() == "GET" and len(words) == 2:
                client.sendall(f"{store.get(words[1], '(nil)')}\n".encode())
            else:
                client.sendall(b"ERR unknown command\n")


def main() -> int:
    global log_file, err_file
    parser = argparse.ArgumentParser(prog="keeperd")
    parser.add_argument("--foreground", action="store_true", help="stay attached instead of detaching")
    parser.add_argument("--config", default=CONFIG)
    args = parser.parse_args()
    if not args.foreground:
        detach()
    log_file = open(f"{LOG_DIR}/keeperd.log", "a", buffering=1)  # noqa: SIM115 (open for the server's lifetime)
    err_file = open(f"{LOG_DIR}/error.log", "a", buffering=1)  # noqa: SIM115
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        settings = read_config(args.config)
    except (OSError, ValueError) as error:
        fatal(f"cannot start: {error}")
        return 1
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
