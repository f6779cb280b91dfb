r"""The regular expressions of example.yaml's expectations: which are accepted, and how one is matched.

Both an expression and the text it is matched against can be a contributor's. `(a+)+$` backtracks
for ever on a line of a's, and even `.*x` takes minutes on the 1 MiB a step may print, so refusing
shapes when the file is loaded could not make matching safe, and would refuse curated expressions that
are not dangerous (`(.*\n)*`, the back-reference `\1`). So the loader checks only that an expression
is text, short and compiles (`expression_problem`), and the judge matches it in bounded time
(`search_bounded`): in a forked child that is killed when its time is up, since Python's `re` cannot
be stopped from another thread and holds the interpreter while it runs.
"""

from __future__ import annotations

import os
import re
import select
import signal
from dataclasses import dataclass

MAX_CHARS = 1000  # the longest curated expression has about 250
SEARCH_SECONDS = 2.0  # a sane expression takes milliseconds on 1 MiB of output


def expression_problem(value: object) -> str:
    """Why `value` cannot be an expectation's regular expression; "" when it can."""
    if not isinstance(value, str) or not value:
        return "expected a regular expression as text"
    if len(value) > MAX_CHARS:
        return f"a regular expression of more than {MAX_CHARS} characters"
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError, ValueError) as error:
        # OverflowError: a{99999999999}; RecursionError: a thousand nested groups.
        return f"expected a regular expression: {error}"
    return ""


@dataclass(frozen=True)
class Search:
    found: str | None  # the text matched, None when nothing did (or no answer came)
    answered: bool = True  # False: the search took longer than it was given, and was stopped


def search_bounded(
    pattern: str, text: str, *, flags: int = re.MULTILINE, seconds: float = SEARCH_SECONDS
) -> Search:
    """`re.search(pattern, text, flags)` given at most `seconds`; re.error if the pattern does not compile."""
    compiled = re.compile(pattern, flags)  # in the parent: compile errors are the caller's to report
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        # The child: search, write "start end" or "-", and leave without any clean-up of the parent's.
        try:
            os.close(reader)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_REAL, seconds + 1)  # ends it even if the parent is killed
            match = compiled.search(text)
            os.write(writer, f"{match.start()} {match.end()}".encode() if match else b"-")
        finally:
            os._exit(0)
    os.close(writer)
    answer = ""
    try:
        poller = select.poll()
        poller.register(reader, select.POLLIN | select.POLLHUP)
        answer = os.read(reader, 64).decode() if poller.poll(seconds * 1000) else ""
    finally:
        os.close(reader)
        if not answer:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if not answer:
        return Search(None, answered=False)
    if answer == "-":
        return Search(None)
    start, end = (int(number) for number in answer.split())
    return Search(text[start:end])
