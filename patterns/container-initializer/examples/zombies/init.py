"""A minimal init for PID 1, for an image that must bring its own (Kubernetes has no --init).

It does what tini does and nothing more: starts the command it is given as its
only child, passes the stop signals on to it, reaps every process that ends
(its own child and any orphan the kernel hands to PID 1), and exits with the
child's status, 128 + the signal number if a signal ended it. Use tini or
dumb-init where you can install them; this is the same job in a few lines.
"""

import os
import signal
import sys

child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])


def forward(signum, _frame):
    os.kill(child, signum)


for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(signum, forward)

while True:
    # wait() takes any child that ended: the command, or an orphan adopted by PID 1.
    pid, status = os.wait()
    if pid == child:
        sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
