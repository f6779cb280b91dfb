"""The comparison of two images of an example, from a stored result."""

from catalog.image_comparison import compare_images

SCENARIO = {
    "steps": [
        {"action": "run", "params": {"image": "fat", "name": "a", "detach": True}, "expect": {}},
        {"action": "stop", "params": {"container": "a"}, "expect": {}},
        {"action": "run", "params": {"image": "slim", "name": "b", "detach": True}, "expect": {}},
        {"action": "stop", "params": {"container": "b"}, "expect": {}},
    ],
    "compare": [{"images": ["fat", "slim"], "expect": {"smaller": False}}],
}
RESULT = {
    "images": {
        "fat": {"size": 4_000_000, "own_size": 3_000_000, "layers": 5},
        "slim": {"size": 1_000_000, "own_size": 0, "layers": 3},
    },
    "builds": [
        {"image_name": "fat", "duration": 4.0, "steps": [{"cached": False}, {"cached": True}]},
        {"image_name": "slim", "duration": 4.2, "steps": [{"cached": True}, {"cached": True}]},
    ],
    "steps": [
        {"index": 1, "status": "passed", "duration": 3.1},
        {"index": 3, "status": "passed", "duration": 0.1},
    ],
    "analysis": {"fat": {"reclaimable_bytes": 2_000_000}, "slim": {"reclaimable_bytes": 0}},
}


def test_rows_show_each_measure_its_change_and_the_better_side():
    [comparison] = compare_images(SCENARIO, RESULT)
    rows = {row.label: row for row in comparison.rows}
    assert (comparison.left, comparison.right) == ("fat", "slim")
    assert (rows["Image size"].change, rows["Image size"].better) == ("-75 %", "right")
    assert (rows["Layers"].change, rows["Layers"].better) == ("-2", "right")
    assert (rows["Reclaimable bytes"].change, rows["Reclaimable bytes"].better) == ("-100 %", "right")
    assert (rows["Stop time"].left, rows["Stop time"].right, rows["Stop time"].better) == (
        "3.1 s",
        "0.1 s",
        "right",
    )
    assert (rows["Steps from the cache"].left, rows["Steps from the cache"].better) == (
        "1 of 2 steps",
        "right",
    )
    assert rows["Build time"].change == ""  # 0.2 s apart: timing noise, shown as the same
    assert comparison.differences == 6


def test_without_compare_entries_two_images_are_compared_and_missing_figures_are_dashes():
    scenario = {"steps": []}
    result = {"images": {"a": {"size": 10, "layers": 1}, "b": {"size": 10, "layers": 1}}}
    [comparison] = compare_images(scenario, result)
    rows = {row.label: row for row in comparison.rows}
    assert rows["Image size"].change == "" and comparison.differences == 0
    assert "Stop time" not in rows and "Reclaimable bytes" not in rows


def test_a_single_image_has_no_comparison():
    assert compare_images({"steps": []}, {"images": {"a": {"size": 1}}}) == []
