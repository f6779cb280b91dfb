"""What check.sh reads: the kit's figures and every example's commands, as files POSIX sh can read.

No JSON parser on an attendee's machine: `checks/kit.conf` and each `item.conf` are shell
assignments (values quoted), and each command is a script of its own, `checks/<folder>/NN.sh`,
whose header says what the site verified it does:

    # title: Ask for the page: fails with 404, the volume is still empty
    # shows: sleep 1 && docker run --rm --network container:sc-web busybox:1.35 wget …
    # exit: 1
    # prints: 404 Not Found
    # timeout: 120
    # needs: curl
    sleep 1 && docker run --rm --network container:sc-web busybox:1.35 wget -qO- http://localhost:8080/

The header is comments, so the file is the command, runnable by hand too.
"""

from __future__ import annotations

import math
import re
import shlex
from importlib.resources import files as package_files
from typing import TYPE_CHECKING

from worker.scenario.model import Command

if TYPE_CHECKING:
    from catalog.kits.plan import KitExample, KitPlan

CHECK_SH = (package_files("catalog.kits") / "check.sh").read_text()
MIB = 2**20
SHOWN_CHARACTERS = 120
# Programs besides the Docker CLI that a command calls, found by name; `compose` is Docker's plugin.
TOOLS = ("curl", "wget", "jq", "nc", "timeout")
_COMPOSE = re.compile(r"\bdocker\s+compose\b")
# A word in command position: first on a line, or after a separator, `$(` or a keyword of a loop or test.
_COMMAND_WORD = re.compile(r"(?:^|&&|\|\||[;|(\n]|\$\()\s*(?:(?:do|then|else|time|!)\s+)*([A-Za-z][\w.-]*)")


def command_files(plan: KitPlan) -> dict[str, bytes]:
    """check.sh and one folder per example under checks/: its item.conf and its commands."""
    entries = {"check.sh": CHECK_SH.encode()}
    for example in plan.examples:
        folder = f"checks/{example.folder.removeprefix('examples/')}"
        entries[f"{folder}/item.conf"] = item_conf(example)
        for number, command in enumerate(example.commands, start=1):
            entries[f"{folder}/{number:02d}.sh"] = command_script(command).encode()
    return entries


def kit_conf(plan: KitPlan, architectures: list[str], images_tar: int, disk_to_load: int) -> bytes:
    """checks/kit.conf: what check.sh compares the machine with."""
    values = {
        "KIT_FORMAT": "1",
        "KIT_WORKSHOP": plan.workshop.slug,
        "KIT_TITLE": plan.workshop.title,
        "KIT_CUT": plan.cut.name if plan.cut else "",
        "KIT_IMAGES": " ".join(plan.bases),
        "KIT_IMAGE_COUNT": str(len(plan.bases)),
        "KIT_ARCHS": " ".join(architectures),
        "KIT_DISK_LOAD_MB": str(math.ceil(disk_to_load / MIB)),
        # Once the bases are in, the exercises' own layers: as much again as the bases, as a rule.
        "KIT_DISK_RUN_MB": str(math.ceil(images_tar / MIB)),
    }
    return assignments(values)


def item_conf(example: KitExample) -> bytes:
    values = {
        "ITEM_NUMBER": str(example.number),
        "ITEM_FOLDER": example.folder,
        "ITEM_PATTERN": example.pattern,
        "ITEM_EXAMPLE": example.slug,
        "ITEM_COMMANDS": str(len(example.commands)),
    }
    return assignments(values)


def assignments(values: dict[str, str]) -> bytes:
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items()).encode()


def command_script(command: Command) -> str:
    header = [
        f"title: {one_line(command.title)}",
        f"shows: {shown(command.run)}",
        f"exit: {command.exit_code}",
        *(f"prints: {line}" for text in command.output_contains for line in text.splitlines() if line),
        f"timeout: {math.ceil(command.timeout)}",
    ]
    needs = needed_tools(command.run)
    if needs:
        header.append(f"needs: {' '.join(needs)}")
    return "".join(f"# {line}\n" for line in header) + command.run.rstrip("\n") + "\n"


def needed_tools(run: str) -> list[str]:
    """The programs the shell itself calls; `wget` after `docker run busybox` runs in the container."""
    called = set(_COMMAND_WORD.findall(run))
    return (["compose"] if _COMPOSE.search(run) else []) + [tool for tool in TOOLS if tool in called]


def one_line(text: str) -> str:
    return " ".join(text.split())


def shown(run: str) -> str:
    """The command on one line, cut short for the report's detail."""
    text = one_line(run)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"
