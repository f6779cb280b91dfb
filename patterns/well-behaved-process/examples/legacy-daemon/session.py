"""A client that opens one keeperd session, stores a value and keeps the session open.

It ends when the server ends the session, and says how the server said goodbye.
"""

import socket
import sys
import time

for _attempt in range(50):
    try:
        server = socket.create_connection(("127.0.0.1", 7379), timeout=2)
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("session: keeperd does not answer on port 7379")
server.settimeout(None)
replies = server.makefile("r")
print(f"session: {replies.readline().strip()}", flush=True)
server.sendall(b"SET greeting hello\n")
print(f"session: SET greeting -> {replies.readline().strip()}", flush=True)
last = ""
try:
    for line in replies:  # an open, idle session, like a connection pool's
        last = line.strip()
except ConnectionResetError:
    pass  # the server closed the session with a request still unread
print(f"session: the server ended the session ({last or 'without a word'})", flush=True)
