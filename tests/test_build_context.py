"""The build context the worker sends leaves out what the docker CLI leaves out for the same .dockerignore."""

import pytest

from worker.images.build_context import DOCKERIGNORE, LABELLED_DOCKERFILE, without_ignored

PATHS = [
    "app.py",
    "a.log",
    "logs/b.log",
    "node_modules/left-pad/index.js",
    "src/node_modules/x/index.js",
    "build/out/app",
    "build/keep.txt",
    "docs/guide.md",
]


def sent(ignore: str) -> set[str]:
    files = {path: (b"", False) for path in [*PATHS, LABELLED_DOCKERFILE]}
    files[DOCKERIGNORE] = (ignore.encode(), False)
    return set(without_ignored(files)) - {DOCKERIGNORE, LABELLED_DOCKERFILE}


@pytest.mark.parametrize(
    ("ignore", "left_out"),
    [
        # A folder's pattern leaves out everything below it, at the top too (moby's parent match).
        ("**/node_modules", {"node_modules/left-pad/index.js", "src/node_modules/x/index.js"}),
        ("node_modules", {"node_modules/left-pad/index.js"}),
        # Anchored at the context's root, unlike .gitignore.
        ("*.log", {"a.log"}),
        ("**/*.log", {"a.log", "logs/b.log"}),
        # The last matching pattern decides: an exception brings one file of a left-out folder back.
        ("build\n!build/keep.txt", {"build/out/app"}),
        ("# a comment\n\ndocs/", {"docs/guide.md"}),
    ],
)
def test_the_context_leaves_out_what_the_cli_would(ignore, left_out):
    assert sent(ignore) == set(PATHS) - left_out


def test_the_ignore_file_and_the_dockerfile_built_are_always_sent():
    files = {
        DOCKERIGNORE: (b"*\n", False),
        LABELLED_DOCKERFILE: (b"FROM busybox:1.35\n", False),
        "a": (b"", False),
    }
    assert set(without_ignored(files)) == {DOCKERIGNORE, LABELLED_DOCKERFILE}
