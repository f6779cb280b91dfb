"""A base's facts as bases.yaml writes them, and the same facts as an image on the engine shows them.

`read_facts` checks the `facts:` mapping field by field; `observed_facts` (worker/bases/facts_seen.py)
reads the same facts from an image on the engine, so a test holds every base to its entry.
"""

from __future__ import annotations

import dataclasses

LISTS = ("cmd", "entrypoint", "users", "groups", "files")
TEXTS = ("workdir", "user")
FIELDS = {"env", *LISTS, *TEXTS}
Problem = tuple[str, str]  # (field, message)


@dataclasses.dataclass(frozen=True)
class BaseFacts:
    """What examples may rely on in a base: the published image has it and its stand-in reproduces it.

    A fact left out is not promised: `env` names only the variables examples may read, `users`
    and `groups` only the accounts ("name:id") they may name, `files` only paths they may use.
    """

    env: dict[str, str] = dataclasses.field(default_factory=dict)
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    workdir: str = ""
    user: str = ""
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def read_facts(raw: object, field: str) -> tuple[BaseFacts | None, Problem | None]:
    """The facts of one entry, or the first field that does not fit; None when it records none."""
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        return None, (field, "expected a mapping of facts")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        return None, (f"{field}.{unknown[0]}", f"unknown fact; known: {', '.join(sorted(FIELDS))}")
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(value, str) for value in env.values()):
        return None, (f"{field}.env", "expected a mapping of variable to text")
    values: dict = {"env": {str(key): value for key, value in env.items()}}
    for key in LISTS:
        if key in raw:
            if not isinstance(raw[key], list) or not all(isinstance(item, str) for item in raw[key]):
                return None, (f"{field}.{key}", "expected a list of texts")
            values[key] = tuple(raw[key])
    for key in TEXTS:
        if key in raw:
            if not isinstance(raw[key], str):
                return None, (f"{field}.{key}", "expected text")
            values[key] = raw[key]
    return BaseFacts(**values), None
