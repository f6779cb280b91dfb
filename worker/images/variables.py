"""What a Dockerfile's variables can hold: every value its ARG and ENV lines and the build arguments give.

The daemon substitutes `$NAME` and `${NAME}` in ADD, COPY, FROM, USER and more after any check
of ours, with values from ARG defaults, ENV, build arguments (even undeclared proxy ones) and the
base image's ENV. Rather than imitate its scoping rules, a judge asks what *any* of those values
could contribute: if no piece can hold a character, no substitution can produce it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from worker.images.build_context import Dockerfile, Instruction

_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Assignment:
    name: str
    value: str  # as written: it may refer to other variables
    source: str  # "ARG on line 3", "ENV on line 5", "build argument"
    # What a judge reads: the whole line, so that quoting or several names on one line, read
    # otherwise by the daemon than here, can only make the judge stricter.
    text: str


def references(text: str) -> list[str]:
    """The names `text` refers to, in `${NAME...}` or `$NAME` form (escaped or quoted ones too)."""
    return list(dict.fromkeys(_REFERENCE.findall(text)))


def assignments(dockerfile: Dockerfile, build_args: Mapping[str, str] | None = None) -> list[Assignment]:
    """Every value a name is given anywhere in the file, and by the build arguments."""
    found = []
    for instruction in dockerfile.instructions:
        if instruction.keyword in ("ARG", "ENV"):
            source = f"{instruction.keyword} on line {instruction.line}"
            found += [
                Assignment(name, value, source, instruction.args) for name, value in _pairs(instruction)
            ]
    found += [Assignment(name, value, "build_args", value) for name, value in (build_args or {}).items()]
    return found


def _pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """(name, value) of `ARG A=1 B`, `ENV A=1 B="two words"` and the old `ENV NAME value words`."""
    args = instruction.args
    try:
        words = shlex.split(args)
    except ValueError:  # an unbalanced quote
        words = args.split()
    if instruction.keyword == "ENV" and words and "=" not in words[0]:
        return [(words[0], [*args.split(None, 1), ""][1].strip())]
    return [(name, value) for name, _, value in (word.partition("=") for word in words)]


def source_words(instruction: Instruction) -> list[str]:
    """The sources of an ADD or COPY: its words after the flags, all but the destination."""
    args = instruction.args
    if args.startswith("["):
        try:
            words = json.loads(args)
        except ValueError:
            words = None
        if isinstance(words, list) and all(isinstance(word, str) for word in words):
            return words[:-1]
    return args.split()[:-1]


@dataclass(frozen=True)
class Reach:
    """What the values a word refers to could bring into it."""

    unset: tuple[str, ...]  # names no line of the file and no build argument sets (the base's ENV may)
    pieces: tuple[Assignment, ...]  # every assignment that can end up in the word, however indirectly


def reach(word: str, given: list[Assignment]) -> Reach:
    by_name: dict[str, list[Assignment]] = {}
    for assignment in given:
        by_name.setdefault(assignment.name, []).append(assignment)
    unset, pieces, seen = [], [], set()
    pending = references(word)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in by_name:
            unset.append(name)
        for assignment in by_name.get(name, []):
            pieces.append(assignment)
            pending += references(assignment.text)
    return Reach(tuple(sorted(unset)), tuple(pieces))
