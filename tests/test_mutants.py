"""Every example's mutant (its pattern undone) fails the example's own checks on the real engine.

The mutation score (mutants caught / mutants) is printed and must be 100 %: a mutant that passes
means the example's checks do not test its pattern. The loader's rules for mutants are tested
first, without an engine.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from catalog.content.loader import load_tree
from catalog.trial import judge_mutant, run_trial
from tests.conftest import LABELS, _connect_engine
from tests.test_catalog import CATALOG_WORKERS
from worker.contract.results import Check, ScenarioResult

# Mutants the checks do not catch yet, each with what it takes; listed, so the score says so and a
# survivor that gets caught (or a new one) fails the test until this list is corrected.
KNOWN_SURVIVORS: dict[str, str] = {}


def test_a_mutant_is_caught_only_by_a_failed_check_of_the_pattern():
    caught = Check(2, "stop", "stopped_within", "<= 2 s", "10.1 s", False)
    broken = Check(0, "exec", "completes", "the step completes", "no such container", False)
    assert judge_mutant(ScenarioResult("failed", "CHECK_FAILED", "", checks=(caught, broken))).killed
    assert not judge_mutant(ScenarioResult("failed", "CHECK_FAILED", "", checks=(broken,))).killed
    assert not judge_mutant(ScenarioResult("failed", "BUILD_FAILED", "the build failed")).killed
    # Checks that failed before a later step ran out of time still caught it; a timeout alone did not.
    assert judge_mutant(ScenarioResult("failed", "RUN_TIMEOUT", "", checks=(caught,))).killed
    assert not judge_mutant(ScenarioResult("failed", "RUN_TIMEOUT", "step 3 ran out of time")).killed
    survived = judge_mutant(ScenarioResult("passed", "", ""))
    assert not survived.killed and "survived" in survived.why


def mutants() -> list:
    tree = load_tree(Path(settings.PATTERNS_DIR))
    assert not tree.errors, tree.errors
    return [
        (f"{pattern.slug}/{example.slug}", example)
        for pattern in tree.patterns
        for example in pattern.examples
        if example.mutant is not None
    ]


@pytest.mark.catalog
@pytest.mark.docker
def test_every_mutant_fails_its_examples_checks(docker_client, capsys):
    found = mutants()
    assert found, "no example has a mutant"

    def judge(item):
        name, example = item
        client = _connect_engine()  # one client per thread: docker-py's session is not shared safely
        try:
            trial = run_trial(
                client,
                example,
                example.mutant.files,
                scenario=example.mutant.scenario,
                owner="tests",
                allow_host_access=True,
                extra_labels=LABELS,
                run_commands=False,
            )
        finally:
            client.close()
        return name, judge_mutant(trial.result), trial.clean_up

    started = time.monotonic()
    with ThreadPoolExecutor(CATALOG_WORKERS) as pool:
        verdicts = list(pool.map(judge, found))
    took = time.monotonic() - started
    killed = sum(verdict.killed for _, verdict, _ in verdicts)
    with capsys.disabled():
        print()
        for name, verdict, _ in verdicts:
            print(f"{'caught ' if verdict.killed else 'SURVIVED'} {name:50} {verdict.why[:90]}")
        print(f"mutation score: {killed} of {len(verdicts)} mutants caught in {took / 60:.1f} min")
        for name, why in KNOWN_SURVIVORS.items():
            print(f"known survivor {name}: {why}")
    survivors = {name for name, verdict, _ in verdicts if not verdict.killed}
    assert survivors == set(KNOWN_SURVIVORS), "correct KNOWN_SURVIVORS: the survivors changed"
    assert [left for *_, left in verdicts if left] == []
