"""The size-over-time chart of each image, drawn from past passed verifications."""

import re

import pytest

from tests.verification_pages import panel_html
from tests.verification_results import finished, passed_result

pytestmark = pytest.mark.django_db


def test_one_passed_verification_draws_no_line(client, example):
    finished(example, "passed", passed_result(), image_sizes={"app": 1_990_000})
    assert "size-chart" not in panel_html(client, example)


def test_each_passed_verification_is_a_point_and_failures_are_left_out(client, example):
    finished(example, "passed", passed_result(), minutes_ago=30, image_sizes={"app": 1_000_000})
    finished(example, "failed", passed_result(), minutes_ago=20, image_sizes={"app": 9_000_000})
    finished(example, "passed", passed_result(), minutes_ago=10, image_sizes={"app": 2_000_000})
    finished(example, "passed", passed_result(), minutes_ago=3, image_sizes={"app": 1_990_000})
    html = panel_html(client, example)
    [chart] = re.findall(r'<svg [^>]*class="chart size-chart".*?</svg>', html, re.S)
    assert "over the last 3 verifications" in chart
    assert "From 1 MB on" in chart and "to 1.99 MB on" in chart and "largest 2 MB" in chart
    assert chart.count("<circle") == 3
    # Oldest first, left to right; the 2 MB point is the highest (smallest y).
    points = [tuple(map(float, pair.split(","))) for pair in re.search(r'points="([^"]+)"', chart)[1].split()]
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert min(points, key=lambda point: point[1]) == points[1]
