"""Mutant: the same worker written the way a service was before containers.

- It logs to a file of its own, so nothing reaches the standard streams.
- A failed job is only logged; the exit code is 0 whatever happened.
- It installs no signal handlers: as PID 1 it ignores SIGTERM until the kill.
"""

import argparse
import signal
import sys
import time

sys.stdout = sys.stderr = open("/tmp/worker.log", "a", buffering=1)  # noqa: SIM115 (the mutant: a log file that lives as long as the process)

stopping = False


def ask_to_stop(signum, frame):
    global stopping
    stopping = True
    print(f"got {signal.Signals(signum).name}, finishing the current job", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="worker")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds per job")
    parser.add_argument(
        "--jobs", type=int, default=0, help="stop after this many jobs (0: run until stopped)"
    )
    parser.add_argument("--fail-on", type=int, default=0, help="pretend this job fails")
    args = parser.parse_args()  # a bad option: usage on stderr, exit code 2

    print(f"worker started, one job every {args.interval} s")
    done = 0
    while not stopping and (args.jobs == 0 or done < args.jobs):
        job = done + 1
        time.sleep(args.interval)  # the "work"
        if job == args.fail_on:
            print(f"error: job {job} failed, giving up", file=sys.stderr)
            return 0
        done = job
        print(f"job {job} done")
    print(f"worker exiting cleanly after {done} jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
