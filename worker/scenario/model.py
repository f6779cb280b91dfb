"""A checked example.yaml as plain data: the sync stores it as JSON, the runner reads it back."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

DEFAULT_TIMEOUT = 300.0
# The longest any example may run, and so the longest duration a field may hold: the worker stops a
# verification after 15 minutes (VERIFY_SOFT_TIME_LIMIT), and a run also builds and cleans up.
TIMEOUT_MAX = 600.0
_UID_ZERO = re.compile(r"^[+-]?0+$")  # how the engine reads a number: "00" and "-0" are uid 0 too


def runs_as_root(user: str) -> bool:
    """A `user` option that names uid 0, by number or by name, whatever group follows: "0", "root", "0:0"."""
    name = user.split(":", 1)[0].strip()
    return name == "root" or bool(_UID_ZERO.match(name))


class ScenarioError(ValueError):
    """One problem in an example.yaml, with the path of the field at fault."""

    def __init__(self, field_path: str, message: str):
        super().__init__(f"{field_path}: {message}" if field_path else message)
        self.field = field_path
        self.message = message


@dataclass(frozen=True)
class ImageSpec:
    name: str
    dockerfile: str
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeSpec:
    name: str
    files: dict[str, str] = field(default_factory=dict)  # path in volume -> example file


@dataclass(frozen=True)
class Step:
    action: str
    params: dict
    expect: dict = field(default_factory=dict)
    side: str = ""  # "before" (the anti-pattern), "after" (its fix), or "" (neither, or no sides)

    # What the site reads of a step; "" when the action has no such parameter.
    @property
    def image(self) -> str:
        return str(self.params.get("image", ""))

    @property
    def container(self) -> str:
        """The container the step acts on (exec, stop, wait, logs...)."""
        return str(self.params.get("container", ""))

    @property
    def user(self) -> str:
        """The user a run or exec step asks for; "" when it leaves it to the image."""
        return str(self.params.get("user", "")) if self.action in ("run", "exec") else ""

    @property
    def container_name(self) -> str:
        """The name a run step gives the container it starts."""
        return str(self.params.get("name", "")) if self.action == "run" else ""


@dataclass(frozen=True)
class Comparison:
    images: tuple[str, str]
    expect: dict


DEFAULT_COMMAND_TIMEOUT = 120.0


@dataclass(frozen=True)
class Command:
    """A shell line the page tells a reader to type, and the outcome a reader should see."""

    title: str
    run: str
    exit_code: int = 0
    output_contains: tuple[str, ...] = ()
    timeout: float = DEFAULT_COMMAND_TIMEOUT

    @property
    def expected(self) -> str:
        """The outcome in words, as the page shows it: "exits 0", "exits 1, prints 'denied'"."""
        words = [f"exits {self.exit_code}"]
        words += [f"prints {text!r}" for text in self.output_contains]
        return ", ".join(words)


@dataclass(frozen=True)
class Scenario:
    title: str
    summary: str
    images: tuple[ImageSpec, ...]
    steps: tuple[Step, ...]
    volumes: tuple[VolumeSpec, ...] = ()
    networks: tuple[str, ...] = ()
    compare: tuple[Comparison, ...] = ()
    host_access: tuple[str, ...] = ()
    commands: tuple[Command, ...] = ()
    timeout: float = DEFAULT_TIMEOUT

    def to_dict(self) -> dict:
        data = asdict(self)
        data["commands"] = self.commands_to_dict()
        for step in data["steps"]:
            # Left out when unset, so that a stored scenario (and the content hash that decides
            # whether an example is verified again) stays as it was before steps had sides.
            if not step["side"]:
                del step["side"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        return cls(
            title=data["title"],
            summary=data["summary"],
            images=tuple(ImageSpec(**image) for image in data["images"]),
            steps=tuple(Step(**step) for step in data["steps"]),
            volumes=tuple(VolumeSpec(**volume) for volume in data.get("volumes", ())),
            networks=tuple(data.get("networks", ())),
            compare=tuple(
                Comparison(images=tuple(c["images"]), expect=c["expect"]) for c in data.get("compare", ())
            ),
            host_access=tuple(data.get("host_access", ())),
            commands=tuple(_command(command) for command in data.get("commands", ())),
            timeout=data.get("timeout", DEFAULT_TIMEOUT),
        )

    def commands_to_dict(self) -> list[dict]:
        """Defaults left out, so that the content hash of an example that says no more stays as it was."""
        defaults = Command("", "")
        return [
            {
                key: value
                for key, value in asdict(command).items()
                if key in ("title", "run") or value != getattr(defaults, key)
            }
            for command in self.commands
        ]

    def root_users(self) -> tuple[tuple[str, str], ...]:
        """(field, user) of every run, exec and Compose service that asks to run as root (uid 0).

        Recorded for the untrusted policy to refuse (worker/scenario/trust.py); a curated example may.
        """
        found = []
        for index, step in enumerate(self.steps):
            if step.user and runs_as_root(step.user):
                found.append((f"steps[{index}].{step.action}.user", step.user))
            for service in (
                step.params.get("project", {}).get("services", ()) if step.action == "compose" else ()
            ):
                if service.get("user") and runs_as_root(service["user"]):
                    where = f"steps[{index}].compose.project.services.{service['name']}.user"
                    found.append((where, service["user"]))
        return tuple(found)

    @property
    def expectation_count(self) -> int:
        """How many checks the scenario makes, steps and comparisons together."""
        return sum(len(step.expect) for step in self.steps) + sum(
            len(comparison.expect) for comparison in self.compare
        )

    @property
    def proving_expectation_count(self) -> int:
        """Checks that say something about the pattern; `succeeds` only says that a build worked."""
        return self.expectation_count - sum("succeeds" in step.expect for step in self.steps)


def _command(data: dict) -> Command:
    return Command(**{**data, "output_contains": tuple(data.get("output_contains", ()))})
