"""A program that is a poor PID 1, as many real ones are.

It runs helper commands that put work in the background and return at once
(`sh -c 'sleep 0.3 &'`), a common shape for hooks and wrapper scripts. When a
helper's shell exits, its background `sleep` is orphaned and the kernel hands
it to PID 1. This program never waits for children it did not start, and it
installs no SIGTERM handler: fine for an ordinary process, wrong for PID 1.
"""

import subprocess
import time

HELPERS = 3

print("app started", flush=True)
for _ in range(HELPERS):
    # run() waits for the shell it started; the shell's background child lives on.
    subprocess.run(["sh", "-c", "sleep 0.3 &"], check=True)
print(f"started {HELPERS} background helpers", flush=True)

while True:
    time.sleep(60)
