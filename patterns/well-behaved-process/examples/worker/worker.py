"""A stand-in for a queue worker that behaves like a proper Linux process.

- It runs in the foreground and logs to the standard streams: progress to
  stdout, problems to stderr. No log files, no daemonising.
- Its exit code means something: 0 all went well, 1 a job failed,
  2 it was started wrongly (argparse's convention for usage errors).
- SIGTERM (docker stop) and SIGINT (Ctrl-C) ask it to finish the job in hand
  and exit 0, instead of being killed halfway through.
"""

import argparse
import signal
import sys
import time

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

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)

    print(f"worker started, one job every {args.interval} s")
    done = 0
    while not stopping and (args.jobs == 0 or done < args.jobs):
        job = done + 1
        time.sleep(args.interval)  # the "work"
        if job == args.fail_on:
            print(f"error: job {job} failed, giving up", file=sys.stderr)
            return 1
        done = job
        print(f"job {job} done")
    print(f"worker exiting cleanly after {done} jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
