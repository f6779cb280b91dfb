"""Reading what page tests get back: one element's HTML, its words, the `verify` queue's messages."""

import re
from html.parser import HTMLParser

from catalog import celery_app
from catalog.models import Example


def drain_verify_queue() -> list[tuple[str, list]]:
    """Take every message off the `verify` queue: (task name, args) each."""
    return drain_queue("verify")


def drain_queue(name: str) -> list[tuple[str, list]]:
    """Take every message off a Celery queue: (task name, args) each."""
    found = []
    with celery_app.connection_for_write() as conn:
        queue = conn.SimpleQueue(name)
        while queue.qsize():
            message = queue.get(timeout=1)
            found.append((message.headers.get("task"), message.payload[0]))
            message.ack()
        queue.close()
    return found


class Section(HTMLParser):
    """The HTML inside the element with a given id, and every start tag on the page."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, wanted: str):
        super().__init__(convert_charrefs=False)
        self.wanted, self.depth, self.parts = wanted, 0, []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if self.depth:
            self.parts.append(self.get_starttag_text())
            if tag not in self.VOID:
                self.depth += 1
        elif attributes.get("id") == self.wanted:
            self.depth = 1

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if self.depth:
            self.parts.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            if self.depth:
                self.parts.append(f"</{tag}>")

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    def handle_entityref(self, name):
        if self.depth:
            self.parts.append(f"&{name};")

    def handle_charref(self, name):
        if self.depth:
            self.parts.append(f"&#{name};")


def panel_html(client, example: Example, query: str = "") -> str:
    response = client.get(f"/patterns/{example.pattern.slug}/{query}")
    assert response.status_code == 200
    parser = Section(f"verification-{example.slug}")
    parser.feed(response.content.decode())
    assert parser.parts, "the verification panel is missing"
    return "".join(parser.parts)


def text_of(html: str) -> str:
    """The words, one space apart (no-break spaces too), without markup."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([.,:;])", r"\1", text)
