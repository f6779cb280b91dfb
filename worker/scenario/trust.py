"""What a trust level forbids that example.yaml alone shows: checked by the parser, callable by the runner.

The untrusted policy (worker/policy.py) takes a run's privileges away at run time; what a scenario
asks for in so many words is refused before that, beside the field that asks for it. Curated examples
are reviewed like code and may ask for root or host access; their steps are recorded, not refused.
"""

from __future__ import annotations

from worker.policy import UNTRUSTED, run_policy
from worker.scenario.model import Scenario, ScenarioError


def trust_problems(scenario: Scenario, trust: str) -> list[ScenarioError]:
    """Every field of `scenario` that `trust` does not allow; ValueError for an unknown level."""
    policy = run_policy(trust)
    problems = []
    if scenario.host_access and not policy.host_access:
        problems.append(
            ScenarioError(
                "host_access", f"asks for {', '.join(scenario.host_access)}; {trust} examples never get it"
            )
        )
    if policy == UNTRUSTED:
        problems += [
            ScenarioError(
                field,
                f"{user!r} is root (uid 0); {trust} examples never run as root: "
                "name another user, such as 65534:65534, or leave it out",
            )
            for field, user in scenario.root_users()
        ]
    return problems
