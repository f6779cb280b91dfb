"""Mutant: the same worker with the manners of a proper Linux process taken away.

- No SIGTERM handler: as PID 1 it ignores docker stop until the SIGKILL.
- A failed job still ends with exit code 0.
- Warnings and errors go to stdout with the progress, one mixed stream.
"""

import argparse
import os
import signal
import sys
import time

stopping = False


def on_signal(number, _frame):
    # Only note the request here; the loop finishes the current job and exits.
    global stopping
    stopping = True
    print(f"{signal.Signals(number).name} received, finishing the current job", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="worker", description="Process numbered jobs.")
    parser.add_argument("--jobs", type=int, default=0, help="how many jobs to run (0: until stopped)")
    parser.add_argument("--fail-at", type=int, default=0, help="pretend that this job fails")
    args = parser.parse_args()  # a bad argument: usage on stderr, exit code 2

    print(f"worker started as PID {os.getpid()}", flush=True)

    job = 0
    while not stopping and (args.jobs == 0 or job < args.jobs):
        job += 1
        if job == args.fail_at:
            print(f"error: job {job} failed", flush=True)
            return 0
        time.sleep(0.2)  # the work; a signal wakes the sleep and sets `stopping`
        print(f"job {job} done", flush=True)
        if job % 2 == 0:
            print(f"warning: job {job} was slow", flush=True)

    print(f"worker exiting cleanly after {job} jobs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
