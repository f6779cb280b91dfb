"""Rendering: Markdown features survive, hostile markup comes out inert, files are highlighted."""

import re

import pytest

from catalog.content.rendering import highlight_file, language_for, plain_text, render_markdown

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "onerror": '<img src=x onerror="alert(1)">',
    "javascript link": "[click](javascript:alert(1))",
    "data link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "svg onload": "<svg onload=alert(1)><circle r=1></svg>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "style": "<style>body { display: none }</style>",
    "raw html link": '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_hostile_markup_comes_out_inert(payload):
    html, _ = render_markdown(f"Before.\n\n{payload}\n\nAfter.\n")
    lowered = html.lower()
    for dangerous in ("<script", "<iframe", "<style", "<svg", "javascript:", "data:text", "<img"):
        assert dangerous not in lowered
    assert not re.search(r"\son\w+\s*=", lowered)
    assert "Before." in html and "After." in html


def test_markdown_features_are_kept():
    text = (
        "## Problem\n\nSome *text* with [a link](https://example.org/).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```dockerfile\nFROM busybox:1.35\n```\n"
    )
    html, toc = render_markdown(text)
    assert '<h2 id="problem">Problem</h2>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'href="https://example.org/"' in html and 'rel="nofollow noopener"' in html
    assert '<div class="highlight">' in html and '<span class="k">FROM</span>' in html
    assert 'href="#problem"' in toc


def test_code_in_files_is_escaped_and_lines_are_wrapped():
    html, language = highlight_file("Dockerfile", 'FROM busybox:1.35\nRUN echo "</pre><script>x</script>"\n')
    assert language == "docker"
    assert "<script>" not in html and "&lt;/pre&gt;" in html
    assert html.count('<span class="line">') == 2


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("Dockerfile", "docker"),
        ("Dockerfile.exec", "docker"),
        ("build/Dockerfile", "docker"),
        ("app.sh", "bash"),
        ("example.yaml", "yaml"),
        ("server.py", "python"),
        ("main.go", "go"),
        ("data.json", "json"),
        ("notes.unknownext", "text"),
    ],
)
def test_languages_by_file_name(path, language):
    assert language_for(path) == language


def test_plain_text_strips_markup_for_search():
    assert plain_text("<p>A &amp; <mark>B</mark></p>\n<p>C</p>") == "A & B C"
