"""hadolint findings, by line, with the bytes a size finding costs attached."""

from worker.images.lint import Finding, lint_dockerfile, with_wasted_bytes

WASTEFUL = """FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl
COPY . /app
"""


def test_findings_come_with_code_level_and_line():
    findings = lint_dockerfile(WASTEFUL)
    by_code = {finding.code: finding for finding in findings}
    assert {"DL3008", "DL3009", "DL3015"} <= set(by_code)
    assert by_code["DL3009"].line == 2 and by_code["DL3009"].level == "info"
    assert "apt lists" in by_code["DL3009"].message


def test_a_clean_dockerfile_has_no_findings():
    assert lint_dockerfile('FROM busybox:1.35\nUSER 65534\nCMD ["true"]\n') == []


def test_a_broken_dockerfile_is_a_finding_not_a_crash():
    findings = lint_dockerfile("FROM busybox:1.35\nRUN <<EOF\nEOF\nCOPY x y\n")
    assert findings and findings[0].code == "DL1000"


def test_size_findings_get_the_bytes_of_their_layer_under_the_rule_paths():
    asked = []

    def bytes_under(line, prefixes):
        asked.append((line, prefixes))
        return 4_096_000

    findings = with_wasted_bytes(lint_dockerfile(WASTEFUL), bytes_under)
    wasted = {finding.code: finding.wasted_bytes for finding in findings}
    assert wasted["DL3009"] == 4_096_000 and wasted["DL3008"] is None
    assert asked == [(2, ("/var/lib/apt/lists/",))]
    assert Finding("DL3009", "info", 2, "m", 1).to_dict()["wasted_bytes"] == 1
