"""Rewrite a page the site rendered so that it works from file://, with no server and no network.

Only what must change is edited, in place; every other byte of the page stays as the site
serves it. Links and assets go through `locate` (a site URL to a path in the export, or None):
links to exported pages become relative file links, assets are copied by the caller; a link to
a page the export lacks becomes plain text, since the site has no setting naming its public
address and a guessed one (the build machine's) would be broken at the venue. What needs the
server goes: forms (search, Verify again), scripts that fetch or post, the site's navigation
(replaced by the export's own), the notice about this site's worker, the handout's QR codes
(they encode the address of the machine that built the kit). Relative times ("3 hours ago")
become the UTC time they stand for, so the export is the same bytes whenever it is built.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.conf import settings

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
# The scripts that work from file://: the slides' keys and buttons, the copy buttons. The others
# poll or post to the server (live-log.js, verify-again.js) or fetch layer trees (layer-tree.js).
OFFLINE_SCRIPTS = frozenset({"js/slides.js", "js/copy.js"})
# Elements that only make sense with the site behind them, as (tag, class).
DROPPED = frozenset(
    {
        ("div", "setup-notice"),  # about the worker of the machine that built the kit
        ("figure", "handout-qr"),  # a QR code of the building machine's address
        ("span", "handout-qr-note"),  # the handout's words about those codes
        ("p", "site-footer__links"),  # the site's other pages, none of them exported
    }
)


class OfflinePageError(ValueError):
    """A page loads something the export cannot provide; the message names it."""


@dataclass(frozen=True)
class PageContext:
    """Where a page was rendered and where it goes: relative links resolve against `url`."""

    url: str  # path and query, as the site serves it
    path: str  # in the export, e.g. "patterns/health-check.html"
    site_host: str  # the host the page was rendered for: its absolute links are the site's own
    locate: Callable[[str], str | None]  # a site URL (path?query) -> export path, or None
    nav: Callable[[str], str]  # the export's navigation, for a page at this path

    def relative(self, target: str) -> str:
        return posixpath.relpath(target, posixpath.dirname(self.path) or ".")


def offline_page(html: str, context: PageContext) -> str:
    edits = _PageEdits(html, context)
    edits.feed(html)
    edits.close()
    if edits.dropping is not None:
        raise OfflinePageError(f"{context.url}: <{edits.dropping.tag}> is never closed")
    out, done = [], 0
    for start, end, replacement in sorted(edits.edits):
        out += [html[done:start], replacement]
        done = end
    return "".join([*out, html[done:]])


@dataclass
class _Dropping:
    tag: str
    start: int
    replacement: str
    depth: int = 1


class _PageEdits(HTMLParser):
    """Reads the page once and records its edits as (start, end, replacement) offsets in it."""

    def __init__(self, html: str, context: PageContext):
        super().__init__(convert_charrefs=True)
        self.html, self.context = html, context
        self.edits: list[tuple[int, int, str]] = []
        self.dropping: _Dropping | None = None
        self.anchors: list[bool] = []  # per open <a>: whether it became a <span>
        # An open <time data-ago>: where its text starts, and the text it gets.
        self.time: tuple[int, str] | None = None
        self.line_starts = [0] + [number + 1 for number, char in enumerate(html) if char == "\n"]

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        self.start_tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self.start_tag(tag, attrs, closed=True)

    def start_tag(self, tag: str, attrs: list, closed: bool) -> None:
        start = self.position()
        end = start + len(self.get_starttag_text())
        if self.dropping is not None:
            if tag == self.dropping.tag and not closed and tag not in VOID:
                self.dropping.depth += 1
            return
        values = dict(attrs)
        action, new = self.decide(tag, values)
        if action in ("drop", "replace"):
            if closed or tag in VOID:
                self.edits.append((start, end, new))
            else:
                self.dropping = _Dropping(tag, start, new)
            return
        if tag == "a" and not closed:
            self.anchors.append(action == "span")
        if tag == "time" and "data-ago" in values and values.get("datetime") and not closed:
            moment = datetime.fromisoformat(values["datetime"]).astimezone(UTC)
            self.time = (end, moment.strftime("%Y-%m-%d %H:%M UTC"))
        if new != values:
            self.edits.append((start, end, _start_tag("span" if action == "span" else tag, new)))

    def handle_endtag(self, tag):
        start = self.position()
        end = self.html.index(">", start) + 1
        if self.dropping is not None:
            if tag == self.dropping.tag:
                self.dropping.depth -= 1
                if not self.dropping.depth:
                    self.edits.append((self.dropping.start, end, self.dropping.replacement))
                    self.dropping = None
            return
        if tag == "a" and self.anchors and self.anchors.pop():
            self.edits.append((start, end, "</span>"))
        if tag == "time" and self.time is not None:
            self.edits.append((self.time[0], start, self.time[1]))
            self.time = None

    def decide(self, tag: str, values: dict) -> tuple[str, dict | str]:
        """keep or span (an <a> made text) with its new attributes; drop or replace with the new HTML."""
        classes = (values.get("class") or "").split()
        if tag == "form" or any((tag, name) in DROPPED for name in classes):
            return "drop", ""
        if tag == "nav" and "site-nav" in classes:
            return "replace", self.context.nav(self.context.path)
        kept = {name: value for name, value in values.items() if not _server_url_attribute(name)}
        if tag == "time" and kept.get("datetime"):
            kept.pop("data-ago", None)  # its script is not exported: the text says the time itself
        if tag == "a" and kept.get("href"):
            return self.link(kept, classes)
        source = "href" if tag == "link" else "src"
        if kept.get(source) and urlsplit(kept[source]).scheme != "data":  # data: is inside the page
            if tag == "script" and not self.offline_script(kept[source]):
                return "drop", ""
            target = self.locate(kept[source], load=True)
            if target is None:
                return "drop", ""
            kept[source] = target
        return "keep", kept

    def offline_script(self, src: str) -> bool:
        path = urlsplit(urljoin(self.context.url, src)).path
        return path.removeprefix(settings.STATIC_URL) in OFFLINE_SCRIPTS

    def link(self, values: dict, classes: list[str]) -> tuple[str, dict | str]:
        href = values["href"]
        if href.startswith("#") or self.external(href):
            return "keep", values
        target = self.locate(href, load=False)
        if target is not None:
            return "keep", {**values, "href": target}
        if "button" in classes:  # "Present live", "Download files": a button that leads nowhere misleads
            return "drop", ""
        return "span", {name: value for name, value in values.items() if name not in LINK_ONLY}

    def external(self, url: str) -> bool:
        """Another site's address (a pattern's sources, a lint rule): the reader may follow it if online."""
        parts = urlsplit(url)
        return (
            bool(parts.netloc) and parts.netloc != self.context.site_host
        ) or parts.scheme not in SITE_SCHEMES

    def locate(self, url: str, load: bool) -> str | None:
        """The export's relative path for a URL on this page (with its fragment), or None."""
        if load and self.external(url):
            raise OfflinePageError(f"{self.context.url} loads {url} from another site")
        parts = urlsplit(urljoin(self.context.url, url))
        target = self.context.locate(parts.path + (f"?{parts.query}" if parts.query else ""))
        if target is None:
            return None
        return self.context.relative(target) + (f"#{parts.fragment}" if parts.fragment else "")


SITE_SCHEMES = ("", "http", "https")
LINK_ONLY = frozenset({"href", "rel", "download", "target", "hreflang", "type", "aria-expanded"})


def _server_url_attribute(name: str) -> bool:
    # data-live-url, data-token-url, data-tree-url...: what a removed script would fetch or post to
    return name.startswith("data-") and name.endswith("-url")


def _start_tag(tag: str, values: dict) -> str:
    attributes = "".join(
        f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"'
        for name, value in values.items()
    )
    return f"<{tag}{attributes}>"
