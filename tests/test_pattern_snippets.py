"""The Dockerfiles a reader copies, from a page or an example folder, hold no trailing comments.

Docker reads `#` as a comment only at the start of a line. After an instruction it is part of
the arguments: `FROM busybox:1.35  # small` fails to build, `VOLUME /data  # state` declares
three more volumes, and `ENTRYPOINT ["app"]  # exec form` is shell form. A page's snippets
are not built, so this is the check that catches it. RUN is left out: its text goes to a
shell, for which `#` does start a comment.
"""

import re
from pathlib import Path

from django.conf import settings

from worker.images.build_context import parse_dockerfile

FENCED = re.compile(r"^```dockerfile\n(.*?)^```", re.MULTILINE | re.DOTALL)
QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")
TRAILING = re.compile(r"\s#")


def trailing_comments(text: str) -> list[str]:
    found = []
    for instruction in parse_dockerfile(text).instructions:
        if instruction.keyword != "RUN" and TRAILING.search(QUOTED.sub('""', instruction.args)):
            found.append(f"line {instruction.line}: {instruction.keyword} {instruction.args}")
    return found


def snippets() -> list[tuple[str, str]]:
    root = Path(settings.PATTERNS_DIR)
    found = []
    for readme in sorted(root.glob("*/README.md")):
        for number, block in enumerate(FENCED.findall(readme.read_text(encoding="utf-8")), start=1):
            found.append((f"{readme.relative_to(root)}, dockerfile block {number}", block))
    for dockerfile in sorted(root.glob("*/examples/**/Dockerfile*")):
        found.append((str(dockerfile.relative_to(root)), dockerfile.read_text(encoding="utf-8")))
    return found


def test_the_check_finds_a_trailing_comment_and_leaves_quotes_and_run_alone():
    text = (
        'FROM busybox:1.35  # small\nLABEL note="a # in quotes"\nRUN echo hi  # a shell comment\n'
        '# a comment line\nENTRYPOINT ["app"]\n'
    )
    assert trailing_comments(text) == ["line 1: FROM busybox:1.35  # small"]


def test_no_dockerfile_a_reader_copies_has_a_trailing_comment():
    found = [f"{where}: {line}" for where, text in snippets() for line in trailing_comments(text)]
    assert len(snippets()) > 100
    assert found == [], "\n".join(found)
