"""Each command on a pattern page shows what it did in the last finished verification."""

import dataclasses

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from tests import factories
from tests.verification_results import HOSTILE, finished, passed_result
from worker.contract.results import CommandResult

pytestmark = pytest.mark.django_db

RUN = "docker build -t hello . && docker run --rm hello"
REFUSED = "docker run --rm hello cat /etc/shadow"


def with_commands(*results: CommandResult) -> dict:
    stored = passed_result()
    stored["commands"] = [dataclasses.asdict(result) for result in results]
    return stored


def synced(tmp_path, commands) -> Example:
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(
        tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(commands=commands)
    )
    assert sync_patterns(tmp_path).ok
    return Example.objects.get(pattern__slug="pattern-0")


def commands_html(client, example: Example) -> str:
    page = client.get(f"/patterns/{example.pattern.slug}/").content.decode()
    return page[page.index('class="commands"') : page.index(f'id="verification-{example.slug}"')]


def test_each_command_shows_its_exit_code_time_and_output_and_what_to_expect(client, tmp_path):
    example = synced(
        tmp_path,
        [
            {"title": "Build and run", "run": RUN},
            {
                "title": "Fails: no read access",
                "run": REFUSED,
                "expect": {"exit_code": 1, "output_contains": "denied"},
            },
        ],
    )
    finished(
        example,
        Verification.State.PASSED,
        with_commands(
            CommandResult(0, "Build and run", RUN, "exits 0", "passed", 0, f"hello {HOSTILE}\n", 1.24),
            CommandResult(
                1, "Fails", REFUSED, "exits 1, prints 'denied'", "passed", 1, "cat: can't open: denied", 0.3
            ),
        ),
    )
    html = commands_html(client, example)
    assert "Did what it says</span>: exit 0 in 1.2 s" in html
    assert "Expected:</span> exits 1, prints &#x27;denied&#x27;" in html
    assert "Did what it says</span>: exit 1 in 0.3 s" in html
    assert "cat: can&#x27;t open: denied" in html
    assert HOSTILE not in html  # output is text: escaped
    assert html.count("Expected:") == 1  # a plain success needs no word on what to expect


def test_a_failed_command_says_why_and_the_ones_after_it_were_not_reached(client, tmp_path):
    example = synced(tmp_path, [{"title": "Run", "run": RUN}, {"title": "Then", "run": "docker rmi hello"}])
    finished(
        example,
        Verification.State.FAILED,
        with_commands(
            CommandResult(
                0,
                "Run",
                RUN,
                "exits 0",
                "failed",
                125,
                "Unable to find image",
                0.2,
                "exited 125, the page says 0",
            ),
            CommandResult(1, "Then", "docker rmi hello", "exits 0", "not run"),
        ),
        failure_reason="COMMAND_FAILED",
    )
    html = commands_html(client, example)
    assert "Did not do what it says</span>: exit 125 in 0.2 s (exited 125, the page says 0)" in html
    assert "Not reached in the last verification" in html


def test_an_edited_command_waits_for_its_own_run(client, tmp_path):
    example = synced(tmp_path, [{"title": "Run", "run": RUN + " --edited"}])
    finished(
        example,
        Verification.State.PASSED,
        with_commands(CommandResult(0, "Run", RUN, "exits 0", "passed", 0)),
    )
    assert "Not run yet in this form" in commands_html(client, example)
