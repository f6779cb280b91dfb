"""Judging expectations: every check keeps the observed value, passing or failing."""

import pytest

from worker.contract.results import BuildResult, BuildStepResult, ImageFacts
from worker.steps.registry import evaluate


def one(action, expect, observed):
    checks = evaluate(3, action, expect, observed)
    assert len(checks) == 1, checks
    return checks[0]


def facts(name="app", size=2_000_000, layers=3, **extra):
    return ImageFacts(
        name=name,
        id=f"sha256:{name * 10}",
        tag="",
        size=size,
        layers=layers,
        history=(),
        base_ref="busybox:1.35",
        base_id="",
        base_size=0,
        own_size=size,
        base_matched=True,
        **extra,
    )


def test_timings_record_what_was_observed_even_when_they_pass():
    check = one("stop", {"stopped_within": 2.0}, {"stop_seconds": 0.31})
    assert (check.passed, check.expected, check.observed) == (True, "<= 2.00 s", "0.31 s")
    assert (check.step_index, check.action, check.name) == (3, "stop", "stopped_within")
    late = one("stop", {"stopped_after": 2.5}, {"stop_seconds": 0.2})
    assert (late.passed, late.expected, late.observed) == (False, ">= 2.50 s", "0.20 s")


def test_exit_code_and_a_container_that_never_exited():
    assert one("run", {"exit_code": 0}, {"exit_code": 0}).passed
    missing = one("wait", {"exit_code": 0}, {"exit_code": None})
    assert not missing.passed and missing.observed == "none"
    assert not one("run", {"oom_killed": False}, {"oom_killed": True}).passed


def test_output_checks_show_the_line_that_matched_or_how_the_output_ended():
    output = "booting\napp.sh started (PID 1)\nready\n"
    found = one("logs", {"output_contains": "started"}, {"output": output})
    assert found.passed and found.observed == 'found in line "app.sh started (PID 1)"'
    missing = one("logs", {"output_contains": "got SIGTERM"}, {"output": output})
    assert not missing.passed and missing.observed == "absent from 3 lines of output"
    assert '"ready"' in missing.detail
    assert not one("logs", {"output_not_contains": "(PID 1)"}, {"output": output}).passed
    assert (
        one("logs", {"output_not_contains": "panic"}, {"output": ""}).observed
        == "absent: there was no output"
    )


def test_a_text_across_lines_is_found_too():
    check = one("logs", {"output_contains": "a\nb"}, {"output": "a\nb\n"})
    assert check.passed and check.observed == "found (across lines)"


def test_a_list_of_texts_gives_one_check_each():
    checks = evaluate(0, "run", {"output_contains": ["a", "zzz"]}, {"output": "abc"})
    assert [check.passed for check in checks] == [True, False]


def test_regular_expressions_anchor_lines():
    assert one("exec", {"output_matches": r"^65534\s*$"}, {"output": "uid\n65534\n"}).passed
    failed = one("exec", {"output_matches": r"^0$"}, {"output": "65534\n"})
    assert not failed.passed and failed.observed.startswith("no match")


def test_probe_status_and_body():
    observed = {"status": 404, "body": ""}
    assert one("probe", {"status": 404}, observed).observed == "404"
    assert not one("probe", {"status": 200}, {"status": None, "body": ""}).passed
    assert one("probe", {"body_matches": r"\d{4}-\d\d"}, {"body": "at 2024-05 UTC"}).passed


def test_process_counts_and_health():
    rows = {"rows": ["1 0 root S sleep", "7 1 root Z [sh] <defunct>"]}
    assert one("processes", {"count_max": 1}, rows).observed == "2 processes"
    assert not one("processes", {"count_max": 1}, rows).passed
    assert one("health", {"health": "healthy"}, {"health": "healthy"}).passed


def build(*steps, ok=True):
    return BuildResult("app", "sha256:1" if ok else "", ok, tuple(steps), "", "" if ok else "boom", None, 1.0)


def test_cache_checks_name_the_matching_steps():
    result = build(
        BuildStepResult(1, "FROM busybox:1.35", False),
        BuildStepResult(2, "COPY deps.txt /deps.txt", True),
        BuildStepResult(3, "COPY app.txt /app.txt", False),
    )
    hit = one("rebuild", {"cache_hit": "COPY deps.txt"}, {"build": result})
    assert hit.passed and hit.observed == "step 2 COPY deps.txt /deps.txt: from cache"
    assert one("rebuild", {"cache_miss": "copy APP.txt"}, {"build": result}).passed
    assert not one("rebuild", {"cache_hit": "COPY app.txt"}, {"build": result}).passed
    nothing = one("rebuild", {"cache_hit": "RUN make"}, {"build": result})
    assert not nothing.passed and nothing.observed == "no build step matches"
    # Every matching step must agree: "COPY" matches a cached and a rebuilt step.
    assert not one("rebuild", {"cache_hit": "COPY"}, {"build": result}).passed


def test_an_expected_build_failure_passes():
    assert one("build", {"succeeds": False}, {"build": build(ok=False)}).passed
    failed = one("build", {"succeeds": True}, {"build": build(ok=False)})
    assert not failed.passed and failed.observed == "failed: boom"


def test_image_facts():
    image = facts(
        labels={"org.opencontainers.image.title": "x", "tier": "web"},
        exposed_ports=("8080/tcp", "9090/tcp"),
        volumes=("/www",),
        user="",
        entrypoint=("/app/app.sh",),
        cmd=("/bin/sh", "-c", "httpd -f"),
        onbuild=("COPY . /src",),
    )
    observed = {"image": image, "files": {"/hello": True, "/bin/sh": False}}
    passing = {
        "size_max": 3_000_000,
        "size_min": 1_000_000,
        "layers": 3,
        "layers_max": 3,
        "labels": {"tier": "web"},
        "exposed_ports": ["8080/tcp"],
        "volumes": ["/www"],
        "user": "root",
        "entrypoint": ["/app/app.sh"],
        "cmd": "httpd -f",
        "files_present": ["/hello"],
        "files_absent": ["/bin/sh"],
        "onbuild": "COPY .",
        "healthcheck": False,
    }
    checks = evaluate(0, "image", passing, observed)
    assert all(check.passed for check in checks), [c for c in checks if not c.passed]
    size = one("image", {"size_max": 1_000_000}, observed)
    assert not size.passed and size.observed == "2 MB (2000000 bytes)"
    assert not one("image", {"labels": {"tier": "db"}}, observed).passed
    assert not one("image", {"files_present": ["/bin/sh"]}, observed).passed
    assert not one("image", {"user": "65534"}, observed).passed
    assert not one("image", {"entrypoint": "/other"}, observed).passed


def test_comparisons_between_two_images():
    a, b = facts("app", size=1_350_000, layers=1), facts("builder", size=774_000_000, layers=4)
    observed = {"a": a, "b": b}
    ratio = one("compare", {"size_ratio_max": 0.01}, observed)
    assert ratio.passed and ratio.observed.startswith("0.001744 (app 1.35 MB / builder 774 MB)")
    assert not one("compare", {"size_ratio_min": 0.5}, observed).passed
    assert one("compare", {"smaller": True}, observed).passed
    assert one("compare", {"fewer_layers": True}, observed).passed
    assert one("compare", {"same_id": False}, observed).passed


@pytest.mark.parametrize("name", ["nonsense", "stopped_before"])
def test_an_unknown_expectation_fails_rather_than_passing_silently(name):
    check = one("run", {name: 1}, {})
    assert not check.passed and check.detail == "unknown"
