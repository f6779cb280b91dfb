"""A small job worker that behaves like any well-mannered Unix program.

- It runs in the foreground and reacts to SIGTERM and SIGINT by finishing cleanly.
- Its exit code says how it ended: 0 done, 1 a job failed, 2 it was called wrongly.
- Progress goes to stdout, warnings and errors go to stderr, nothing to log files.
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

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"worker started as PID {os.getpid()}", flush=True)

    job = 0
    while not stopping and (args.jobs == 0 or job < args.jobs):
        job += 1
        if job == args.fail_at:
            print(f"error: job {job} failed", file=sys.stderr, flush=True)
            return 1
        time.sleep(0.2)  # the work; a signal wakes the sleep and sets `stopping`
        print(f"job {job} done", flush=True)
        if job % 2 == 0:
            print(f"warning: job {job} was slow", file=sys.stderr, flush=True)

    print(f"worker exiting cleanly after {job} jobs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
