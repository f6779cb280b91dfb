"""Whose fault a failed command is: the engine's (tried again) or the page's (shown as failed)."""

from __future__ import annotations

from worker.commands.rules import Ledger
from worker.commands.session import judge_run
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
