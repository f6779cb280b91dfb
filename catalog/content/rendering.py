"""Render once at sync: Markdown to sanitised HTML, example files to highlighted HTML."""

import html
import re

import markdown
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# File name -> Pygments lexer name, for the languages examples are written in.
LANGUAGES = (
    (re.compile(r"(^|/)(Dockerfile|Containerfile)([.-].*)?$"), "docker"),
    (re.compile(r"\.dockerignore$"), "text"),
    (re.compile(r"\.(sh|bash)$"), "bash"),
    (re.compile(r"\.ya?ml$"), "yaml"),
    (re.compile(r"\.py$"), "python"),
    (re.compile(r"\.go$"), "go"),
    (re.compile(r"(\.json$)"), "json"),
    (re.compile(r"(^|/)go\.mod$"), "text"),
)


def sanitise(fragment: str) -> str:
    """Whatever an author wrote, only inert markup survives."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
    )


def render_markdown(text: str) -> tuple[str, str]:
    """The body and its table of contents, both sanitised."""
    renderer = markdown.Markdown(
        extensions=["fenced_code", "tables", "toc", "codehilite", "sane_lists"],
        extension_configs={
            "codehilite": {"css_class": "highlight", "guess_lang": False},
            "toc": {"toc_depth": "2-3"},
        },
    )
    body = renderer.convert(text)
    return sanitise(body), sanitise(renderer.toc)


def plain_text(fragment: str) -> str:
    """Text for the search index: markup stripped, entities decoded, spaces folded."""
    stripped = nh3.clean(fragment, tags=set(), attributes={})
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()


class _LineFormatter(HtmlFormatter):
    """Wraps each line in a span so CSS can number lines without putting numbers in copies."""

    def wrap(self, source):
        return super().wrap(self._wrap_lines(source))

    def _wrap_lines(self, source):
        for is_line, text in source:
            if is_line:
                yield 1, f'<span class="line">{text.rstrip(chr(10))}</span>\n'
            else:
                yield 0, text


def language_for(path: str) -> str:
    for pattern, language in LANGUAGES:
        if pattern.search(path):
            return language
    try:
        return get_lexer_for_filename(path).aliases[0]
    except ClassNotFound:
        return "text"


def highlight_file(path: str, content: str) -> tuple[str, str]:
    """Highlighted HTML (Pygments classes, no inline styles) and the language's name."""
    language = language_for(path)
    lexer = get_lexer_by_name(language, stripnl=False, ensurenl=True)
    return highlight(content, lexer, _LineFormatter(cssclass="highlight")), language
