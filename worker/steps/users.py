"""The user a container or an exec runs as, made numeric and never root when the policy forbids root.

A name means whatever the image's /etc/passwd says, and an untrusted Dockerfile writes that
file: `USER app` may well be uid 0. So for such code a name is looked up in the image's own
files here, the engine gets `uid:gid` only, and 0 in either place is refused. A uid with no
passwd entry and no group would get group 0 from the engine; it gets nogroup instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from worker.engine.files import created_container, read_text
from worker.steps.context import RunContext, StepFailure

NOGROUP = 65534
_NUMERIC = re.compile(r"^[0-9]+:[0-9]+$")
_USER = re.compile(r"^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$")


def checked_user(value: str | None) -> str | None:
    if value is not None and not _USER.match(value):
        raise StepFailure("CHECK_FAILED", f"user {value!r} must be a name or uid, optionally ':group'")
    return value


def container_user(ctx: RunContext, image: str, config: dict, wanted: str | None) -> str | None:
    """The user for a container of `image`: the step's, else the image's, else the policy's default."""
    wanted = checked_user(wanted)
    if ctx.policy.root_allowed:
        return wanted  # the engine resolves it, or the image's USER, as `docker run` does
    user = wanted or config.get("User") or ctx.policy.default_user
    if not user:
        return None
    source = "the step's user" if wanted else "the image's USER"
    if _NUMERIC.match(user):
        return _unprivileged(ctx, lambda path: "", user, source)
    with created_container(ctx.client, image, ctx.labels, ctx.helper_name("users")) as container:
        return _unprivileged(ctx, lambda path: read_text(ctx.client, container, path), user, source)


def exec_user(ctx: RunContext, container: str, wanted: str | None) -> str:
    """The user for an exec in a running container: the step's, else the container's own ("")."""
    wanted = checked_user(wanted)
    if ctx.policy.root_allowed or not wanted:
        return wanted or ""  # the container's user, already checked when it was created
    return _unprivileged(ctx, lambda path: read_text(ctx.client, container, path), wanted, "the exec's user")


def _unprivileged(ctx: RunContext, read: Callable[[str], str], user: str, source: str) -> str:
    """`user` as uid:gid, read in the image's files through `read`; refused when either is 0."""
    name, _, group = user.partition(":")
    entry = None
    if not (name.isdigit() and group):
        rows = _entries(read("/etc/passwd"), fields=4)
        entry = next((row for row in rows if row[2 if name.isdigit() else 0] == name), None)
        if entry is None and not name.isdigit():
            raise StepFailure(
                "CHECK_FAILED", f"{source} {user!r}: no user {name!r} in the image's /etc/passwd"
            )
    uid = int(name if name.isdigit() else entry[2])
    if group.isdigit():
        gid = int(group)
    elif group:
        found = next((row for row in _entries(read("/etc/group"), fields=3) if row[0] == group), None)
        if found is None:
            raise StepFailure(
                "CHECK_FAILED", f"{source} {user!r}: no group {group!r} in the image's /etc/group"
            )
        gid = int(found[2])
    else:
        gid = int(entry[3]) if entry is not None else NOGROUP
    if uid == 0 or gid == 0:
        which = "uid 0 (root)" if uid == 0 else "gid 0 (root's group)"
        raise StepFailure(
            "POLICY_REJECTED",
            f"{source} {user!r} is {which}; {ctx.policy.trust} examples run as an unprivileged user "
            "(set USER to a user of your own, or leave it out to run as nobody)",
        )
    return f"{uid}:{gid}"


def _entries(text: str, fields: int) -> list[list[str]]:
    """The rows of a passwd (4 fields: name, password, uid, gid) or group file with numeric ids."""
    rows = [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]
    return [row for row in rows if len(row) >= fields and all(f.isdigit() for f in row[2:fields])]
