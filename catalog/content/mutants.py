"""An example's mutant: the same example with its pattern undone, kept in `mutant/` beside it.

The mutant is judged by the example's own example.yaml, so its checks must fail on it: that is
the proof they test the pattern and not merely that something built. `mutant/mutant.yaml` says
in one sentence what the mutant undoes; every other file in `mutant/` replaces the example's
file of the same path (or adds one), and `removes` lists example files the mutant goes without.
"""

from pathlib import Path

from catalog.content.sources import SCENARIO_FILE, ContentError, ExampleFileSource, MutantSource, load_yaml

MUTANT_DIR = "mutant"
MUTANT_FILE = "mutant.yaml"
MUTANT_FIELDS = {"undoes", "removes", "drops"}


def split_mutant(files: list[ExampleFileSource]) -> tuple[list, list]:
    """The example's own files, and its mutant's (their paths relative to `mutant/`)."""
    prefix = MUTANT_DIR + "/"
    own = [file for file in files if not file.path.startswith(prefix)]
    mutant = [
        ExampleFileSource(file.path.removeprefix(prefix), file.content, file.executable)
        for file in files
        if file.path.startswith(prefix)
    ]
    return own, mutant


def load_mutant(
    relative: Path,
    example_files: list[ExampleFileSource],
    mutant_files: list[ExampleFileSource],
    errors: list,
) -> MutantSource | None:
    """The mutant of the example at `relative` (to the patterns folder); None, with errors, if unusable."""
    folder = relative / MUTANT_DIR
    spec_file = str(folder / MUTANT_FILE)
    if not mutant_files:  # every example keeps one: sync_patterns refuses an example without its mutant
        errors.append(
            ContentError(
                str(folder),
                "",
                "missing: every example keeps a mutant, its files with the pattern undone, "
                f"and a {MUTANT_FILE} saying what it undoes (patterns/AUTHORING.md, 'Mutants')",
            )
        )
        return None
    by_path = {file.path: file for file in mutant_files}
    spec = by_path.pop(MUTANT_FILE, None)
    if spec is None:
        errors.append(ContentError(spec_file, "", "missing: say in 'undoes' what the mutant takes away"))
        return None
    if SCENARIO_FILE in by_path:
        errors.append(
            ContentError(
                str(folder / SCENARIO_FILE),
                "",
                "a mutant is judged by its example's own example.yaml; it cannot have its own",
            )
        )
        return None
    raw, error = load_yaml(spec.content, spec_file)
    if error:
        errors.append(error)
        return None
    return _mutant(raw, spec_file, example_files, by_path, errors)


def _mutant(raw, spec_file: str, example_files, replacements: dict, errors: list) -> MutantSource | None:
    before = len(errors)
    if not isinstance(raw, dict):
        errors.append(ContentError(spec_file, "", "expected a mapping with 'undoes'"))
        return None
    for key in sorted(set(raw) - MUTANT_FIELDS):
        errors.append(
            ContentError(spec_file, key, f"unknown field; allowed: {', '.join(sorted(MUTANT_FIELDS))}")
        )
    undoes = raw.get("undoes")
    if not isinstance(undoes, str) or not undoes.strip():
        errors.append(
            ContentError(spec_file, "undoes", "required: one sentence saying what the mutant undoes")
        )
    removes = raw.get("removes", [])
    known = {file.path for file in example_files}
    if not isinstance(removes, list) or not all(isinstance(path, str) for path in removes):
        errors.append(ContentError(spec_file, "removes", "expected a list of the example's file paths"))
        removes = []
    for path in removes:
        if path not in known or path == SCENARIO_FILE:
            errors.append(ContentError(spec_file, "removes", f"{path!r} is not a file of the example"))
    drops = _drops(raw.get("drops", []), spec_file, errors)
    if not replacements and not removes and not drops:
        errors.append(ContentError(spec_file, "", "the mutant changes nothing: add the files it replaces"))
    if len(errors) > before:
        return None
    kept = [file for file in example_files if file.path not in replacements and file.path not in removes]
    files = sorted([*kept, *replacements.values()], key=lambda file: file.path)
    return MutantSource(
        undoes=" ".join(undoes.split()),
        changed=tuple(sorted({*replacements, *removes})),
        files=tuple(files),
        drops=drops,
    )


def _drops(raw: object, spec_file: str, errors: list) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """`drops: [{step: 3, params: [read_only]}]`: run options the mutant goes without, steps from 1."""
    shape = "expected a list of {step: <number, from 1>, params: [<parameter>, ...]}"
    if not isinstance(raw, list):
        errors.append(ContentError(spec_file, "drops", shape))
        return ()
    drops = []
    for index, item in enumerate(raw):
        shaped = isinstance(item, dict) and set(item) == {"step", "params"}
        if not shaped or not isinstance(item["step"], int) or isinstance(item["step"], bool):
            errors.append(ContentError(spec_file, f"drops[{index}]", shape))
            continue
        params = item["params"]
        if isinstance(params, list) and params and all(isinstance(p, str) for p in params):
            drops.append((item["step"], tuple(params)))
        else:
            errors.append(ContentError(spec_file, f"drops[{index}].params", shape))
    return tuple(drops)


def without_dropped(raw_scenario: dict, drops, spec_file: str, errors: list) -> dict | None:
    """The example.yaml data without each dropped parameter; None, with errors, if one is not there."""
    before = len(errors)
    steps = [dict(step) if isinstance(step, dict) else step for step in raw_scenario.get("steps") or []]
    for step_number, params in drops:
        field = f"drops: step {step_number}"
        if not 1 <= step_number <= len(steps) or not isinstance(steps[step_number - 1], dict):
            errors.append(ContentError(spec_file, field, f"the example has no step {step_number}"))
            continue
        step = steps[step_number - 1]
        action = next((key for key in step if key not in ("expect", "side")), None)
        options = step.get(action)
        missing = [name for name in params if not isinstance(options, dict) or name not in options]
        if missing:
            errors.append(ContentError(spec_file, field, f"its {action} step sets no {', '.join(missing)}"))
            continue
        step[action] = {key: value for key, value in options.items() if key not in params}
    return {**raw_scenario, "steps": steps} if len(errors) == before else None
