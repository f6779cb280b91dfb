"""A Docker API relay on a unix socket of its own: the CLI talks to it, it talks to the engine.

Each client connection gets one engine connection. Requests are read one at a time, judged
by RequestRules (labels added, names locked, changes to others' objects refused) and passed
on; responses come back byte for byte on a second thread. A request that upgrades the
connection (attach, exec) turns it into a plain two-way pipe from then on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from pathlib import Path

from worker.commands.http_wire import WireError, copy_body, error_response, read_body, read_request
from worker.commands.rules import Refused, RequestRules

log = logging.getLogger(__name__)
_BUFFER = 256 * 1024


class EngineRelay:
    def __init__(self, upstream: str, listen: Path, rules: RequestRules):
        self.upstream, self.listen, self.rules = upstream, listen, rules
        self.problems: list[str] = []  # what went wrong inside the relay itself
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(listen))
        listen.chmod(0o660)
        self._server.listen(64)
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._accepting = threading.Thread(target=self._accept, name="relay-accept", daemon=True)

    def __enter__(self) -> EngineRelay:
        self._accepting.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._accepting.join(timeout=5)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), name="relay-conn", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            engine.connect(self.upstream)
        except OSError as error:
            client.sendall(error_response(502, f"verification: the engine cannot be reached: {error}"))
            client.close()
            return
        send_lock = threading.Lock()
        pump = threading.Thread(target=self._pump, args=(engine, client, send_lock), daemon=True)
        pump.start()
        reader = client.makefile("rb", buffering=_BUFFER)
        try:
            self._relay_requests(reader, client, engine, send_lock)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the CLI hung up (it drops its wait on a container that failed to start): its right
        except (WireError, OSError) as error:
            if not self._closed.is_set():
                self.problems.append(f"relay: {error}")
        finally:
            with contextlib.suppress(OSError):
                engine.shutdown(socket.SHUT_WR)
            pump.join(timeout=None if not self._closed.is_set() else 5)
            reader.close()
            client.close()
            engine.close()

    def _relay_requests(self, reader, client: socket.socket, engine: socket.socket, send_lock) -> None:
        while True:
            request = read_request(reader)
            if request is None:
                return
            body = None
            if self.rules.wants_body(request):
                # `docker commit` without changes sends JSON null: the body is still read, and rewritten.
                body = json.loads(read_body(reader, request) or b"{}") or {}
            try:
                new_body = self.rules.judge(request, body)
            except Refused as refusal:
                log.info("relay refused %s %s: %s", request.method, request.path, refusal)
                with send_lock:
                    client.sendall(error_response(refusal.status, str(refusal)))
                return  # the refusal closes the connection: its body, if any, is never read
            if body is not None:
                data = json.dumps(new_body if new_body is not None else body).encode()
                request.set_body_length(len(data))
                engine.sendall(request.head_bytes() + data)
            else:
                engine.sendall(request.head_bytes())
                copy_body(reader, request, engine.sendall)
            if request.upgrades:
                _pipe(reader, engine)
                return

    def _pump(self, engine: socket.socket, client: socket.socket, send_lock: threading.Lock) -> None:
        """The engine's answers, back to the client as they come; build output is read for image ids."""
        try:
            while data := engine.recv(_BUFFER):
                self.rules.saw_response(data)
                with send_lock:
                    client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)


def _pipe(reader, engine: socket.socket) -> None:
    """After an upgrade: everything the client sends (a container's stdin) goes to the engine as it is."""
    while data := reader.read1(_BUFFER):
        engine.sendall(data)
