"""An anti-pattern run against its fix in one scenario: the page sets each side's checks apart."""

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example
from tests import factories
from tests.verification_results import finished, passed_result
from worker.contract.results import Check

pytestmark = pytest.mark.django_db


def write_anti_pattern(root, example: dict) -> Example:
    factories.write_tree(root, count=1)
    factories.write_anti_pattern(root, fixed_by="pattern-0", example=example)
    assert sync_patterns(root).ok
    return Example.objects.get(pattern__slug="bad")


def test_the_page_shows_what_each_side_of_the_run_observed(tmp_path, client):
    example = write_anti_pattern(tmp_path, factories.measured_scenario())
    checks = (
        Check(
            0,
            "run",
            "output_contains",
            'contains "run number 1"',
            'found in line "this is run number 1"',
            True,
        ),
        Check(
            1,
            "run",
            "output_contains",
            'contains "run number 2"',
            'found in line "this is run number 2"',
            True,
        ),
    )
    finished(example, "passed", passed_result(checks))
    page = client.get("/patterns/bad/").content.decode()
    section = page[page.index("Before and after, measured") :]
    assert "Both sides start the same image (app)" in section
    before = section[section.index("Before: the anti-pattern") : section.index("After: the fix")]
    after = section[section.index("After: the fix") : section.index("</section>")]
    assert "this is run number 1" in before and "run number 2" not in before
    assert "this is run number 2" in after and "run number 1" not in after
    assert after.count("as expected") == 1 and "not as expected" not in after


def test_a_scenario_without_sides_shows_no_such_section(tmp_path, client):
    example = write_anti_pattern(
        tmp_path,
        factories.scenario(
            images={"app": {"dockerfile": "Dockerfile"}, "fixed": {"dockerfile": "Dockerfile"}},
        ),
    )
    finished(example, "passed", passed_result())
    page = client.get("/patterns/bad/").content.decode()
    assert "Before and after, measured" not in page
