"""Whose fault a failed command is: the engine's (tried again) or the page's (shown as failed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.commands.http_wire import Request
from worker.commands.rules import IMAGE_VANISHED, Ledger, Refused, RequestRules
from worker.commands.session import judge_run
from worker.contract.labels import RUN
from worker.contract.results import CommandResult

BUILD = "docker build -t hello . && docker run --rm hello"


def failed_with(output: str) -> tuple[CommandResult, ...]:
    return (
        CommandResult(0, "build", BUILD, "exits 0", "failed", 1, output, 0.6, "exited 1, the page says 0"),
    )


def test_a_layer_removed_under_the_commands_build_is_the_engines_fault():
    # What the CLI printed when a neighbour removed the build's intermediate image (CI, stop 21).
    lost = (
        "Step 7/8 : LABEL catalog.test-run=38451da574ac\n"
        "failed to get digest sha256:e016bb5d: open /var/lib/docker/image/overlay2/imagedb/content/"
        "sha256/e016bb5d: no such file or directory\n"
    )
    for output in (lost, "Error response from daemon: unknown parent image ID sha256:78900669"):
        outcome = judge_run(failed_with(output), Ledger(), [])
        assert outcome.reason == "INFRA", outcome
        assert "engine fault" in outcome.detail


def test_the_pages_own_missing_container_is_the_pages_fault():
    outcome = judge_run(failed_with("Error response from daemon: No such container: web"), Ledger(), [])
    assert outcome.reason == "COMMAND_FAILED"
    assert outcome.detail == f"command 1 ({BUILD}): exited 1, the page says 0"


def rules_with_tags(*tags: str) -> RequestRules:
    """The relay's rules after the commands built `tags` (no engine: pulls are judged before one is asked)."""
    rules = RequestRules(
        None, run_labels={RUN: "commands-x"}, locks=None, deadline=0.0, own_socket="", folder=Path("/")
    )
    rules.ledger.tags.update(tags)
    return rules


def test_a_pull_of_an_image_the_commands_built_says_it_was_removed_and_is_the_engines_fault():
    pull = Request("POST", "/v1.41/images/create?fromImage=hello&tag=latest", "HTTP/1.1", [])
    with pytest.raises(Refused) as refused:
        rules_with_tags("hello:latest").judge(pull, None)
    assert refused.value.status == 404 and IMAGE_VANISHED in str(refused.value)
    # What the CLI then printed in the fault suite (a neighbour removed it between build and run).
    output = (
        f"Unable to find image 'hello:latest' locally\ndocker: Error response from daemon: {refused.value}.\n"
    )
    outcome = judge_run(failed_with(output), Ledger(), [])
    assert outcome.reason == "INFRA" and "engine fault" in outcome.detail


def test_a_pull_of_anything_else_is_refused_as_the_pages_own_doing():
    pull = Request("POST", "/v1.41/images/create?fromImage=alpine&tag=3.19", "HTTP/1.1", [])
    with pytest.raises(Refused, match="nothing is pulled") as refused:
        rules_with_tags("hello:latest").judge(pull, None)
    output = f"docker: Error response from daemon: {refused.value}.\n"
    assert judge_run(failed_with(output), Ledger(), []).reason == "COMMAND_FAILED"
