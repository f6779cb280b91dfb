"""The sandbox policy: hostile Dockerfiles and contexts are refused; run arguments follow the trust level."""

import pytest

from tests.scenario_runs import example, run
from tests.test_builder import ensure_busybox
from worker.images.build_context import parse_dockerfile
from worker.policy import (
    NOBODY,
    check_context,
    check_dockerfile,
    hardened_arguments,
    image_ref_problems,
    run_policy,
)
from worker.runner import run_scenario

BASES = {"busybox:1.35", "debian:bookworm-slim"}


def messages(text: str) -> list[str]:
    return [finding.message for finding in check_dockerfile(text, BASES)]


def test_a_plain_dockerfile_on_an_allowed_base_passes():
    text = (
        "FROM busybox:1.35 AS build\n"
        "RUN echo hi > /x \\\n"
        "    # a comment inside a continuation\n"
        "    && cat /x\n"
        "FROM scratch\n"
        "COPY --from=build /x /x\n"
        "COPY --from=0 /bin/busybox /busybox\n"
        "ADD local.tar.gz /srv/\n"
    )
    assert check_dockerfile(text, BASES) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM busybox:1.35\nADD http://127.0.0.1:18555/secret /s\n", "ADD of a URL"),
        ("FROM busybox:1.35\nADD https://example.com/x.tgz /x\n", "ADD of a URL"),
        ('FROM busybox:1.35\nADD ["http://169.254.169.254/latest", "/m"]\n', "ADD of a URL"),
        ("FROM busybox:1.35\nADD git@github.com:evil/repo.git /r\n", "ADD of a URL"),
        ("FROM busybox:1.35\nADD --chown=1:1 \\\n    ftp://host/x /x\n", "ADD of a URL"),
        ("FROM 127.0.0.1:5000/x\n", "names a registry host"),
        ("FROM localhost/x\n", "names a registry host"),
        ("FROM 169.254.169.254/x\n", "names a registry host"),
        ("FROM evil.example/x:1\n", "names a registry host"),
        ("FROM busybox:1.35\nCOPY --from=127.0.0.1:5000/x /a /a\n", "names a registry host"),
        ("FROM busybox:1.35\nCOPY --from=localhost/x /a /a\n", "names a registry host"),
        ("FROM busybox:1.35\nCOPY --from=python:3.12 /a /a\n", "not an allowed base"),
        ("FROM busybox:1.35\nCOPY --from=1 /a /a\n", "names no earlier stage"),
        ("# syntax=evil/frontend\nFROM busybox:1.35\n", "parser directive '# syntax='"),
        ("#escape=`\nFROM busybox:1.35\n", "parser directive '# escape='"),
        ("FROM busybox:1.35\nONBUILD RUN echo later\n", "ONBUILD is not allowed"),
        ("FROM busybox:1.35\nRUNN echo\n", "unknown instruction RUNN"),
        ("FROM python:3.12\n", "not an allowed base"),
        ("ARG BASE=busybox:1.35\nFROM $BASE\n", "variables are not allowed"),
        ("FROM --platform=linux/arm64 busybox:1.35\n", "FROM --platform is not allowed"),
        ("", "no instructions"),
        ("FROM busybox:1.35\nRUN echo \x00\n", "NUL"),
    ],
)
def test_hostile_dockerfiles_are_refused(text, expected):
    found = messages(text)
    assert any(expected in message for message in found), found


def test_findings_name_the_line_where_the_instruction_starts():
    text = "FROM busybox:1.35\n\n# note\nRUN echo a \\\n  b\nADD \\\n  http://x/y /y\n"
    assert [(f.line, f.message) for f in check_dockerfile(text, BASES)] == [
        (6, "ADD of a URL or a git repository is not allowed")
    ]


def test_a_directive_after_the_first_instruction_is_only_a_comment():
    assert check_dockerfile("FROM busybox:1.35\n# syntax=evil/frontend\n", BASES) == []


def test_parse_handles_the_escape_directive_and_continuations():
    dockerfile = parse_dockerfile("# escape=`\nFROM busybox:1.35 AS one\nRUN echo a `\n  b\n")
    assert [(i.line, i.keyword, i.args) for i in dockerfile.instructions] == [
        (2, "FROM", "busybox:1.35 AS one"),
        (3, "RUN", "echo a   b"),
    ]
    assert dockerfile.stages[0].name == "one"


def test_base_of_follows_stage_names_and_the_target():
    dockerfile = parse_dockerfile(
        "ARG GO=golang:1.19-bookworm\nFROM $GO AS builder\nFROM builder AS tested\nFROM scratch\n"
    )
    assert dockerfile.base_of() == "scratch"
    assert dockerfile.base_of("tested") == "golang:1.19-bookworm"
    assert dockerfile.base_of("tested", {"GO": "debian:bookworm-slim"}) == "debian:bookworm-slim"
    assert dockerfile.external_refs() == ["golang:1.19-bookworm"]


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "a/../b",
        "./a",
        "a//b",
        "link -> /etc",
        "a\\b",
        "C:\\x",
        "a\x00b",
        "",
    ],
)
def test_context_names_that_could_escape_or_mislead_are_refused(name):
    findings = check_context({name: (b"x", False), "Dockerfile": (b"FROM scratch\n", False)})
    assert any(repr(name) in finding.message for finding in findings), findings


def test_context_limits():
    too_many = {f"f{i}.txt": (b"", False) for i in range(51)}
    assert "at most 50" in check_context(too_many)[0].message
    too_big = {"big.bin": (b"x" * (256 * 1024 + 1), False)}
    assert "larger than 256 KiB" in check_context(too_big)[0].message
    fine = {"Dockerfile": (b"FROM scratch\n", False), "site/index.html": (b"<p>", False)}
    assert check_context(fine) == []


def test_image_refs_name_the_instruction_and_the_reference():
    dockerfile = parse_dockerfile(
        "FROM busybox:1.35 AS build\nFROM python:3.12\nCOPY --from=build /a /a\nCOPY --from=$X /b /b\n"
    )
    assert [(p.line, p.instruction, p.ref) for p in image_ref_problems(dockerfile, BASES)] == [
        (2, "FROM", "python:3.12"),
        (4, "COPY --from", "$X"),
    ]


def test_a_platform_finding_comes_before_its_lines_base_finding():
    assert messages("FROM --platform=linux/arm64 python:3.12\n") == [
        "FROM --platform is not allowed",
        "'python:3.12' is not an allowed base image (busybox:1.35, debian:bookworm-slim)",
    ]


def test_untrusted_runs_read_only_as_nobody_with_every_capability_dropped():
    arguments = hardened_arguments(
        run_policy("untrusted"), {"Volumes": {"/data": {}, "/www": {}}}, covered=["/www"]
    )
    assert arguments["cap_drop"] == ["ALL"] and arguments["cap_add"] is None
    assert arguments["security_opt"] == ["no-new-privileges:true"]
    assert arguments["read_only"] is True and arguments["user"] == NOBODY
    assert arguments["pids_limit"] == 128
    # Every VOLUME nothing else covers gets a size-capped tmpfs: anonymous volumes escape read_only.
    assert set(arguments["tmpfs"]) == {"/tmp", "/data"} and "size=16m" in arguments["tmpfs"]["/data"]
    assert hardened_arguments(run_policy("untrusted"), {"User": "app"})["user"] == "app"
    assert (
        hardened_arguments(run_policy("untrusted"), {}, mem_limit=4 * 1024**3)["mem_limit"] == 512 * 1024**2
    )


def test_curated_runs_keep_the_image_user_and_a_few_capabilities():
    arguments = hardened_arguments(run_policy("curated"), {"Volumes": {"/data": {}}})
    assert arguments["cap_drop"] == ["ALL"] and "SETUID" in arguments["cap_add"]
    assert "user" not in arguments and arguments["read_only"] is False
    assert arguments["tmpfs"] is None  # curated VOLUMEs become labelled named volumes instead
    assert arguments["pids_limit"] == 256 and arguments["nano_cpus"] == 10**9
    assert arguments["log_config"]["Config"] == {"max-size": "4m", "max-file": "1"}


def test_unknown_trust_levels_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown trust level"):
        run_policy("friendly")


# At the boundary: the runner applies the policy on the real engine, or refuses before reaching it.


@pytest.fixture
def busybox(docker_client):
    return ensure_busybox(docker_client)


def test_untrusted_containers_run_confined(docker_client, labels, busybox):
    status = "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; id -u; touch /etc/x || echo read-only"
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\nVOLUME /data\n"},
        steps=[
            {
                "run": {"image": "app", "command": ["sh", "-c", status]},
                "expect": {
                    "output_contains": ["CapEff:\t0000000000000000", "NoNewPrivs:\t1", "65534", "read-only"]
                },
            },
        ],
    )
    result, _ = run(docker_client, labels, scenario, trust="untrusted", allowed_bases={"busybox:1.35"})
    assert result.outcome == "passed", result.detail


def test_host_access_is_refused_before_any_engine_call(nowhere, docker_labels):
    scenario, files = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        host_access=["docker-socket"],
        steps=[{"run": {"image": "app", "host_access": ["docker-socket"]}}],
    )
    result = run_scenario(nowhere, scenario, files, docker_labels)
    assert (result.outcome, result.failure_reason) == ("failed", "HOST_ACCESS_DISABLED")
    assert [report.status for report in result.steps] == ["not run"]
    untrusted = run_scenario(
        nowhere, scenario, files, docker_labels, trust="untrusted", allow_host_access=True
    )
    assert untrusted.failure_reason == "POLICY_REJECTED"


def test_a_hostile_untrusted_dockerfile_never_reaches_the_engine(nowhere, docker_labels):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\nADD http://127.0.0.1:18555/secret /s\n"},
        steps=[{"build": "app"}],
    )
    result = run_scenario(nowhere, *scenario, docker_labels, trust="untrusted")
    assert result.failure_reason == "POLICY_REJECTED" and "Dockerfile line 2: ADD of a URL" in result.detail


def test_untrusted_volumes_are_capped_tmpfs(docker_client, labels, busybox):
    fill = "dd if=/dev/zero of=/data/big bs=1M count=40 2>&1; df -k /data | tail -1"
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\nUSER 65534:65534\nVOLUME /data\n"},
        steps=[
            {"run": {"image": "app", "command": ["sh", "-c", fill]}, "expect": {"output_contains": "tmpfs"}}
        ],
    )
    result, _ = run(docker_client, labels, scenario, trust="untrusted", allowed_bases={"busybox:1.35"})
    assert result.outcome == "passed", result.detail
    assert "No space left on device" in result.steps[0].output
