"""The catalog's pages: the periodic table, a pattern, search, an example's archive, health."""

import io
import tarfile

from django.db import connection
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog.models import Category, Example, ExampleFile, Pattern, PatternRelation
from catalog.periodic_table import build_table
from catalog.search import search_patterns
from catalog.serving.page_cache import page_cached
from catalog.verifications.latest import pattern_marks, with_verification_ids
from catalog.verifications.panel import attach_panels

ARCHIVE_MTIME = 0  # a fixed time keeps archives byte-identical for identical content


@page_cached
def home(request):
    categories = list(Category.objects.all())
    patterns = list(Pattern.objects.for_table())
    marks = pattern_marks()
    for pattern in patterns:
        pattern.verification_mark = marks.get(pattern.pk, "")
    table = build_table(
        patterns,
        categories,
        category=request.GET.get("category", ""),
        kind=request.GET.get("kind", ""),
    )
    return render(request, "catalog/home.html", {"table": table, "categories": categories})


def published_pattern(slug: str) -> Pattern:
    files = ExampleFile.objects.order_by("position", "path")
    examples = with_verification_ids(Example.objects.prefetch_related(Prefetch("files", queryset=files)))
    queryset = (
        Pattern.objects.published()
        .with_categories()
        .prefetch_related(
            Prefetch("examples", queryset=examples),
            Prefetch(
                "relations_out",
                queryset=PatternRelation.objects.filter(target__published=True)
                .select_related("target")
                .order_by("relation", "target__name"),
            ),
            Prefetch(
                "relations_in",
                queryset=PatternRelation.objects.filter(source__published=True)
                .select_related("source")
                .order_by("relation", "source__name"),
            ),
        )
    )
    return get_object_or_404(queryset, slug=slug)


@page_cached
def pattern_detail(request, slug):
    pattern = published_pattern(slug)
    related = [(relation.get_relation_display(), relation.target) for relation in pattern.relations_out.all()]
    related += [(relation.inverse_label, relation.source) for relation in pattern.relations_in.all()]
    examples = list(pattern.examples.all())
    attach_panels(examples, notices=request.GET)  # ?queued=<example> right after "Verify again"
    return render(
        request,
        "catalog/pattern_detail.html",
        {"pattern": pattern, "related": related, "examples": examples},
    )


@page_cached
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    hits = search_patterns(query) if query else []
    return render(request, "catalog/search.html", {"query": query, "hits": hits})


@page_cached
def example_archive(request, slug, example):
    example = get_object_or_404(
        Example.objects.select_related("pattern").prefetch_related("files"),
        pattern__slug=slug,
        pattern__published=True,
        slug=example,
    )
    folder = f"{example.pattern.slug}-{example.slug}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT) as archive:
        for file in example.files.all():
            data = file.content.encode()
            info = tarfile.TarInfo(f"{folder}/{file.path}")
            info.size, info.mtime = len(data), ARCHIVE_MTIME
            info.mode = 0o755 if file.executable else 0o644
            archive.addfile(info, io.BytesIO(data))
    response = HttpResponse(buffer.getvalue(), content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{folder}.tar.gz"'
    return response


@page_cached
def category_styles(request):
    """Category colours live in the database; the stylesheet is made from them."""
    rules = [
        f".cat-{c.slug}{{--cat:{c.colour}}}.cat2-{c.slug}{{--cat2:{c.colour}}}"
        for c in Category.objects.all()
    ]
    return HttpResponse("\n".join(rules) + "\n", content_type="text/css")


def healthz(request):
    """Answers 200 when the site can reach its database; never cached."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
