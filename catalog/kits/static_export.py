"""A workshop's slides, handout and pattern pages as files that open from file://: the kit's site/ folder.

The pages are the site's own, rendered in-process by the views that serve them (resolved from
their URLs), for the kit's cut; catalog/kits/offline_pages.py then makes each work offline.
Only the static files the pages load are copied, into site/static/. Nothing depends on the
time or the process: the same catalog gives the same bytes.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, QueryDict
from django.shortcuts import render
from django.urls import resolve, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from catalog.kits.offline_pages import OfflinePageError, PageContext, offline_page
from catalog.kits.plan import KitPlan
from catalog.models import Pattern
from catalog.workshops.models import Workshop, WorkshopCut, WorkshopItem, WorkshopPart

SITE = "site"
INDEX, SLIDES, HANDOUT, HANDOUT_LETTER = "index.html", "slides.html", "handout.html", "handout-letter.html"
CATEGORY_STYLES = "static/categories.css"  # made by a view from the database, not a static file
NAV = ((INDEX, "Agenda"), (SLIDES, "Slides"), (HANDOUT, "Handout"))
CURRENT = mark_safe(' aria-current="page"')


class ExportError(RuntimeError):
    """A page or a static file of the export cannot be made; the message says which."""


@dataclass(frozen=True)
class ExportedPage:
    path: str  # under site/
    urls: tuple[str, ...]  # the site URLs (path?query) it stands for; the first is the one rendered


def export_site(plan: KitPlan) -> dict[str, bytes]:
    """The export's files by their path ("site/slides.html"), sorted: its pages, categories.css and the
    static files the pages use."""
    return _Export(plan).files()


class _Export:
    def __init__(self, plan: KitPlan):
        self.plan = plan
        self.workshop = plan.workshop
        self.host = render_host()
        self.user = (
            self.workshop.owner if self.workshop.source == Workshop.Source.TRAINER else AnonymousUser()
        )
        self.parts = kept_parts(self.workshop, plan.cut)
        self.pages = self.page_list()
        self.targets = {url_key(url): page.path for page in self.pages for url in page.urls}
        self.targets[url_key(reverse("catalog:category-styles"))] = CATEGORY_STYLES
        self.statics: dict[str, bytes] = {}

    def page_list(self) -> list[ExportedPage]:
        slug = self.workshop.slug
        cut = {"cut": self.plan.cut.name} if self.plan.cut else {}
        handout = reverse("trainer:handout", args=[slug])
        pages = [
            ExportedPage(INDEX, (with_query(self.workshop.get_absolute_url(), cut),)),
            ExportedPage(SLIDES, (with_query(reverse("workshops:slides", args=[slug]), cut),)),
            ExportedPage(HANDOUT, (with_query(handout, cut), with_query(handout, {**cut, "paper": "a4"}))),
            ExportedPage(HANDOUT_LETTER, (with_query(handout, {**cut, "paper": "letter"}),)),
        ]
        pages += [
            ExportedPage(f"patterns/{pattern}.html", (reverse("catalog:pattern-detail", args=[pattern]),))
            for pattern in self.published_patterns()
        ]
        return pages

    def published_patterns(self) -> list[str]:
        """The kept items' patterns in agenda order, each once; an unpublished one has no page to export."""
        wanted = list(dict.fromkeys(item.pattern.slug for _, items in self.parts for item in items))
        published = set(Pattern.objects.published().filter(slug__in=wanted).values_list("slug", flat=True))
        return [slug for slug in wanted if slug in published]

    def files(self) -> dict[str, bytes]:
        out = {}
        for page in self.pages:
            html = self.render_page(page)
            context = PageContext(page.urls[0], page.path, self.host, self.locate, self.nav)
            try:
                out[f"{SITE}/{page.path}"] = offline_page(html, context).encode()
            except OfflinePageError as error:
                raise ExportError(str(error)) from error
        # The category colours are a stylesheet the site makes from the database.
        out[f"{SITE}/{CATEGORY_STYLES}"] = self.respond(reverse("catalog:category-styles"))
        out.update({f"{SITE}/{path}": content for path, content in self.statics.items()})
        return dict(sorted(out.items()))

    def render_page(self, page: ExportedPage) -> str:
        if page.path == INDEX:
            return self.render_index(page.urls[0])
        return self.respond(page.urls[0]).decode()

    def respond(self, url: str) -> bytes:
        """The page the site serves at this URL, made by its own view."""
        request = self.request(url)
        match = resolve(request.path_info)
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Http404 as error:
            raise ExportError(f"{url}: the site has no such page ({error})") from error
        if response.status_code != 200:
            raise ExportError(f"{url}: the site answered {response.status_code}")
        return response.content

    def render_index(self, url: str) -> str:
        folders: dict[tuple[str, str], str] = {(e.pattern, e.slug): e.folder for e in self.plan.examples}
        parts = [(part, [(item, _folders_of(item, folders)) for item in items]) for part, items in self.parts]
        cut = self.plan.cut
        context = {
            "workshop": self.workshop,
            "cut": cut,
            "cut_query": with_query("", {"cut": cut.name}) if cut else "",
            "parts": parts,
        }
        return render(self.request(url), "kits/site_index.html", context).content.decode()

    def request(self, url: str) -> HttpRequest:
        parts = urlsplit(url)
        request = HttpRequest()
        request.method = "GET"
        request.path = request.path_info = parts.path
        request.GET = QueryDict(parts.query)
        request.META = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "HTTP_HOST": self.host,
            "SERVER_NAME": self.host,
            "SERVER_PORT": "80",
        }
        request.user = self.user  # the owner, for a trainer's own workshop: its handout is theirs only
        return request

    def locate(self, url: str) -> str | None:
        """The export's path of a site URL: an exported page, a static file (copied), or None."""
        path = urlsplit(url).path
        if path.startswith(settings.STATIC_URL):
            return self.static(unquote(path.removeprefix(settings.STATIC_URL)))
        return self.targets.get(url_key(url))

    def static(self, name: str) -> str:
        clean = posixpath.normpath(name)
        if clean != name or clean.startswith(("../", "/")) or clean == "..":
            raise ExportError(f"a page loads the static file {name!r}, which is not a plain path")
        path = f"static/{name}"
        if path not in self.statics:
            self.statics[path] = static_file(name)
        return path

    def nav(self, page: str) -> str:
        """The export's own navigation, in place of the site's: the agenda, the slides, the handout."""
        here = posixpath.dirname(page) or "."
        current = HANDOUT if page == HANDOUT_LETTER else page
        items = format_html_join(
            "",
            '<li><a href="{}"{}>{}</a></li>',
            (
                (posixpath.relpath(path, here), CURRENT if path == current else "", label)
                for path, label in NAV
            ),
        )
        return format_html('<nav class="site-nav" aria-label="This workshop"><ul>{}</ul></nav>', items)


def kept_parts(workshop: Workshop, cut: WorkshopCut | None) -> list[tuple[WorkshopPart, list[WorkshopItem]]]:
    """The parts and items the cut keeps (all without a cut), in agenda order; parts left empty go."""
    parts = [
        (part, [item for item in part.items.all() if cut is None or cut.keeps(item)])
        for part in workshop.parts.all()
    ]
    return [(part, items) for part, items in parts if items]


def _folders_of(item: WorkshopItem, folders: dict[tuple[str, str], str]) -> list[str]:
    slug = item.pattern.slug
    return [folders[(slug, example)] for example in item.examples if (slug, example) in folders]


def static_file(name: str) -> bytes:
    """A static file as the site has it: from the source folders, else from the collected ones."""
    found = finders.find(name)
    path = Path(found) if found else Path(settings.STATIC_ROOT) / name
    if not path.is_file():
        raise ExportError(f"the static file {name} is in neither the source nor the collected static files")
    return path.read_bytes()


def render_host() -> str:
    """A host the site accepts (HttpRequest.get_host() checks ALLOWED_HOSTS). No exported page names it:
    the handout's QR codes, its only absolute links, are left out."""
    allowed = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"]
    return allowed[0] if allowed else "localhost"


def with_query(path: str, query: dict[str, str]) -> str:
    return f"{path}?{urlencode(query, quote_via=quote)}" if query else path


def url_key(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A URL's path and its query's pairs in order: "?cut=a&paper=a4" is "?paper=a4&cut=a"."""
    parts = urlsplit(url)
    return parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
