"""The example.yaml schema: turn raw YAML data into a checked, normalised Scenario.

Every problem is reported with the dotted path of the field at fault
(``steps[2].expect.stopped_within``), so an author can fix a file without
guessing. The parsed Scenario is plain data: the sync stores it as JSON and the
runner reads it back with ``Scenario.from_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping

from worker.scenario.declared import Declared
from worker.scenario.fields import Fields
from worker.scenario.kinds import HOST_ACCESS, Checker, among
from worker.scenario.model import (
    DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_TIMEOUT,
    TIMEOUT_MAX,
    Command,
    Comparison,
    ImageSpec,
    Scenario,
    ScenarioError,
    Step,
    VolumeSpec,
)
from worker.scenario.trust import trust_problems
from worker.steps.action import Problem
from worker.steps.registry import ACTIONS, COMPARISON

TOP_LEVEL = {
    "title",
    "summary",
    "images",
    "volumes",
    "networks",
    "steps",
    "compare",
    "host_access",
    "commands",
    "timeout",
}
IMAGE_KEYS = {"dockerfile", "target", "build_args"}
COMMAND_KEYS = {"title", "run", "expect", "timeout"}
COMMAND_EXPECT = {"exit_code", "output_contains"}
# An anti-pattern's example runs the mistake and then its fix. A step that names a side starts it;
# the steps after it belong to the same side until another one is named.
SIDES = ("before", "after")
# Each action's schema as its unit declares it (worker/steps/); building them checks every kind exists.
PARAMS = {name: Fields(action.params, action.required) for name, action in ACTIONS.items()}
EXPECT = {name: Fields(action.expect_kinds) for name, action in ACTIONS.items()}
COMPARE_EXPECT = Fields({name: expectation.kind for name, expectation in COMPARISON.items()})


def parse_scenario(
    raw: object, files: Mapping[str, str], *, trust: str = "curated"
) -> tuple[Scenario | None, list[ScenarioError]]:
    """Check raw example.yaml data against the schema; ``files`` are the example's own (path -> text).

    Returns the scenario and an empty list, or None and every problem found. An untrusted
    scenario is also refused what its trust level forbids (worker/scenario/trust.py).
    """
    parser = _Parser(files)
    scenario = parser.parse(raw)
    if scenario is not None and not parser.errors:
        parser.errors.extend(trust_problems(scenario, trust))
    if parser.errors:
        return None, parser.errors
    return scenario, []


class _Parser(Declared):
    def parse(self, raw: object) -> Scenario | None:
        if not isinstance(raw, dict):
            self.error("", "the file must hold a mapping with title, summary, images and steps")
            return None
        for key in sorted(set(raw) - TOP_LEVEL, key=str):
            self.error(key, f"unknown field; expected one of {', '.join(sorted(TOP_LEVEL))}")
        title = self.text(raw, "title", "title")
        summary = self.text(raw, "summary", "summary")
        images = self.parse_images(raw.get("images"))
        volumes = self.parse_volumes(raw.get("volumes", {}))
        networks = self.parse_networks(raw.get("networks", []))
        steps = self.parse_steps(raw.get("steps"))
        compare = self.parse_compare(raw.get("compare", []))
        host_access = self.parse_host_access(raw.get("host_access", []))
        commands = self.parse_commands(raw.get("commands", []))
        timeout = DEFAULT_TIMEOUT
        if "timeout" in raw:
            timeout = Checker(self, "timeout").duration(raw["timeout"]) or DEFAULT_TIMEOUT
        if self.errors:
            return None
        self.check_waits(steps, timeout)
        if self.errors:
            return None
        return Scenario(
            title=title,
            summary=summary,
            images=images,
            steps=steps,
            volumes=volumes,
            networks=networks,
            compare=compare,
            host_access=host_access,
            commands=commands,
            timeout=timeout,
        )

    def check_waits(self, steps: tuple[Step, ...], timeout: float) -> None:
        """A step that may wait longer than the whole scenario is given would be cut off by its deadline."""
        for index, step in enumerate(steps):
            kinds = ACTIONS[step.action].params
            for key, value in step.params.items():
                if kinds.get(key) == "duration" and value > timeout:
                    longest = f"at most {TIMEOUT_MAX / 60:.0f}m"
                    self.error(
                        f"steps[{index}].{step.action}.{key}",
                        f"{value:g} s is longer than the scenario's timeout of {timeout:g} s; "
                        f"give the scenario a longer 'timeout' ({longest}) or this step less",
                    )

    def text(self, data: dict, key: str, path: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.error(path, "required text is missing")
            return ""
        return value.strip()

    def parse_images(self, raw: object) -> tuple[ImageSpec, ...]:
        if not isinstance(raw, dict) or not raw:
            self.error("images", "expected a mapping of image names to {dockerfile: ...}")
            return ()
        images = []
        for name, spec in raw.items():
            path = f"images.{name}"
            if not self.name(name, path):
                continue
            if not isinstance(spec, dict):
                self.error(path, "expected a mapping with at least 'dockerfile'")
                continue
            for key in sorted(set(spec) - IMAGE_KEYS, key=str):
                self.error(f"{path}.{key}", f"unknown field; expected {', '.join(sorted(IMAGE_KEYS))}")
            dockerfile = spec.get("dockerfile")
            if not isinstance(dockerfile, str):
                self.error(f"{path}.dockerfile", "required: the Dockerfile's name in this example")
                continue
            if dockerfile not in self.files:
                self.error(f"{path}.dockerfile", f"names {dockerfile!r}, which is not in the example")
            target = spec.get("target")
            if target is not None and not isinstance(target, str):
                self.error(f"{path}.target", "expected the name of a build stage")
                target = None
            build_args = spec.get("build_args", {})
            if not isinstance(build_args, dict) or not all(
                isinstance(k, str) and isinstance(v, str | int | float) for k, v in build_args.items()
            ):
                self.error(f"{path}.build_args", "expected a mapping of names to values")
                build_args = {}
            self.images.add(name)
            self.image_builds[(dockerfile, target)] = name
            images.append(
                ImageSpec(
                    name=name,
                    dockerfile=dockerfile,
                    target=target,
                    build_args={k: str(v) for k, v in build_args.items()},
                )
            )
        return tuple(images)

    def parse_volumes(self, raw: object) -> tuple[VolumeSpec, ...]:
        if not isinstance(raw, dict):
            self.error("volumes", "expected a mapping of volume names to {files: ...}")
            return ()
        volumes = []
        for name, spec in raw.items():
            path = f"volumes.{name}"
            if not self.name(name, path):
                continue
            spec = spec or {}
            files = spec.get("files", {}) if isinstance(spec, dict) else None
            if not isinstance(files, dict):
                self.error(f"{path}.files", "expected a mapping of paths in the volume to files")
                continue
            for dest, source in files.items():
                if not among(source, self.files):
                    self.error(f"{path}.files.{dest}", f"names {source!r}, not in the example")
            self.volumes.add(name)
            volumes.append(VolumeSpec(name=name, files={str(k): str(v) for k, v in files.items()}))
        return tuple(volumes)

    def parse_networks(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list):
            self.error("networks", "expected a list of network names")
            return ()
        for index, name in enumerate(raw):
            if self.name(name, f"networks[{index}]"):
                self.networks.add(name)
        return tuple(name for name in raw if isinstance(name, str))

    def parse_steps(self, raw: object) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            self.error("steps", "expected a non-empty list of steps")
            return ()
        steps, side, named = [], "", []
        for index, item in enumerate(raw):
            if isinstance(item, dict) and "side" in item:
                if item["side"] in SIDES:
                    side = item["side"]
                    named.append(side)
                else:
                    self.error(f"steps[{index}].side", f"expected one of {', '.join(SIDES)}")
            step = self.parse_step(item, f"steps[{index}]")
            if step:
                steps.append(Step(step.action, step.params, step.expect, side))
        if named and set(named) != set(SIDES):
            self.error("steps", "a scenario that names a side needs both: side: before, then side: after")
        elif named and named.index("after") < named.index("before"):
            self.error("steps", "side: before (the anti-pattern) comes first, then side: after (its fix)")
        return tuple(steps)

    def parse_step(self, item: object, path: str) -> Step | None:
        if not isinstance(item, dict):
            self.error(path, "expected a mapping with one action, an optional 'expect' and 'side'")
            return None
        actions = [key for key in item if key not in ("expect", "side")]
        if len(actions) != 1 or actions[0] not in ACTIONS:
            self.error(path, f"expected exactly one action among {', '.join(sorted(ACTIONS))}")
            return None
        action = ACTIONS[actions[0]]
        params = self.parse_params(action.name, item[action.name], f"{path}.{action.name}")
        expect = EXPECT[action.name].check(self, item.get("expect", {}), f"{path}.expect")
        if params is None or expect is None:
            return None
        if self.report(f"{path}.expect", action.check_expect(params, expect)):
            return None
        return Step(action=action.name, params=params, expect=expect)

    def parse_params(self, name: str, raw: object, path: str) -> dict | None:
        action = ACTIONS[name]
        if action.shorthand and isinstance(raw, str):
            raw = {action.shorthand: raw}
        params = PARAMS[name].check(self, raw, path)
        if params:
            self.report(path, action.check_params(params))
            # A container a step names can be referred to by the steps after it.
            named = [key for key, kind in action.params.items() if kind == "new_container" and key in params]
            self.containers.update(params[key] for key in named)
        return params

    def report(self, path: str, problems: list[Problem]) -> bool:
        for field, message in problems:
            self.error(f"{path}.{field}" if field else path, message)
        return bool(problems)

    def parse_compare(self, raw: object) -> tuple[Comparison, ...]:
        if not isinstance(raw, list):
            self.error("compare", "expected a list of {images: [a, b], expect: {...}}")
            return ()
        comparisons = []
        for index, item in enumerate(raw):
            path = f"compare[{index}]"
            images = item.get("images") if isinstance(item, dict) else None
            if not isinstance(images, list) or len(images) != 2:
                self.error(f"{path}.images", "expected two image names")
                continue
            for position, image in enumerate(images):
                if not among(image, self.images):
                    self.error(f"{path}.images[{position}]", f"{image!r} is not in 'images'")
            expect = COMPARE_EXPECT.check(self, item.get("expect"), f"{path}.expect")
            if expect:
                comparisons.append(Comparison(images=(images[0], images[1]), expect=expect))
            else:
                self.error(f"{path}.expect", "a comparison needs at least one expectation")
        return tuple(comparisons)

    def parse_host_access(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(among(value, HOST_ACCESS) for value in raw):
            self.error("host_access", f"expected a list among {', '.join(sorted(HOST_ACCESS))}")
            return ()
        return tuple(raw)

    def parse_commands(self, raw: object) -> tuple[Command, ...]:
        """The commands a reader types, each with its outcome (the content loader requires at least one)."""
        if not isinstance(raw, list):
            self.error("commands", "expected a list of {title, run}: the commands a reader types to try it")
            return ()
        commands = []
        for index, item in enumerate(raw):
            path = f"commands[{index}]"
            if not isinstance(item, dict):
                self.error(path, "expected a mapping with title and run")
                continue
            for key in sorted(set(item) - COMMAND_KEYS, key=str):
                self.error(
                    f"{path}.{key}", f"unknown field; expected one of {', '.join(sorted(COMMAND_KEYS))}"
                )
            if not isinstance(item.get("run"), str) or not item["run"].strip():
                self.error(f"{path}.run", "expected the shell command a reader can copy")
                continue
            title = self.text(item, "title", f"{path}.title")
            expect = item.get("expect", {})
            if not isinstance(expect, dict) or set(expect) - COMMAND_EXPECT:
                self.error(f"{path}.expect", f"expected a mapping of {', '.join(sorted(COMMAND_EXPECT))}")
                continue
            exit_code = expect.get("exit_code", 0)
            if not isinstance(exit_code, int) or isinstance(exit_code, bool) or not 0 <= exit_code <= 255:
                self.error(f"{path}.expect.exit_code", "expected the exit code, 0 to 255")
                continue
            contains = expect.get("output_contains", [])
            contains = [contains] if isinstance(contains, str) else contains
            if not isinstance(contains, list) or not all(isinstance(t, str) and t for t in contains):
                self.error(f"{path}.expect.output_contains", "expected a text, or a list of texts")
                continue
            timeout = DEFAULT_COMMAND_TIMEOUT
            if "timeout" in item:
                timeout = Checker(self, f"{path}.timeout").duration(item["timeout"]) or timeout
            run = item["run"].strip()
            commands.append(Command(title, run, exit_code, tuple(contains), timeout))
        return tuple(commands)
