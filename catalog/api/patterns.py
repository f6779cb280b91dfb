"""Patterns as the API gives them: the filtered list, and one pattern with its examples and their proof."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from catalog.api import types as out
from catalog.api.verifications import verification_data
from catalog.models import Category, Example, ImageLayers, Pattern
from catalog.verifications.command_rows import command_rows
from catalog.verifications.latest import attach_verifications, pattern_states, status_word
from catalog.verifications.panel import attach_size_history
from catalog.verifications.result import status_of
from catalog.views import published_pattern

FILTERS = ("category", "kind", "state")


class FilterError(ValueError):
    """A query parameter the list does not take, or a value it does not know."""

    def __init__(self, problem: out.Problem) -> None:
        super().__init__(problem.error)
        self.problem = problem


def summary_data(request: HttpRequest, pattern: Pattern, state: str) -> out.PatternSummary:
    return out.PatternSummary(**summary_fields(request, pattern, state))


def summary_fields(request: HttpRequest, pattern: Pattern, state: str) -> dict:
    return {
        "slug": pattern.slug,
        "name": pattern.name,
        "symbol": pattern.symbol,
        "kind": Pattern.Kind(pattern.kind),
        "categories": tuple(category.slug for category in pattern.ordered_categories),
        "summary": pattern.summary,
        "state": out.PatternState(state),
        "url": request.build_absolute_uri(pattern.get_absolute_url()),
        "api_url": request.build_absolute_uri(reverse("catalog:api-v1-pattern-detail", args=[pattern.slug])),
    }


def pattern_list(request: HttpRequest, query: Mapping[str, str]) -> out.PatternList:
    """Raises FilterError for a parameter or a value it does not know, naming what it takes."""
    filters = checked_filters(query)
    patterns: QuerySet = Pattern.objects.for_table()
    if filters.get("category"):
        patterns = patterns.filter(pattern_categories__category__slug=filters["category"])
    if filters.get("kind"):
        patterns = patterns.filter(kind=filters["kind"])
    states = pattern_states()
    found = [
        summary_data(request, pattern, states.get(pattern.pk, out.PatternState.NONE)) for pattern in patterns
    ]
    if filters.get("state"):
        found = [pattern for pattern in found if pattern.state == filters["state"]]
    return out.PatternList(
        api_version=out.API_VERSION, count=len(found), filters=filters, patterns=tuple(found)
    )


def checked_filters(query: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(query) - set(FILTERS))
    if unknown:
        raise FilterError(
            out.Problem(f"unknown parameter {unknown[0]!r}", parameter=unknown[0], allowed=FILTERS)
        )
    filters = {name: query[name] for name in FILTERS if query.get(name)}
    allowed = {
        "kind": tuple(Pattern.Kind.values),
        "state": tuple(out.PatternState),
    }
    if "category" in filters:  # only then is the catalog's list of categories read
        allowed["category"] = tuple(Category.objects.values_list("slug", flat=True))
    for name, value in filters.items():
        if value not in allowed[name]:
            raise FilterError(
                out.Problem(f"unknown {name} {value!r}", parameter=name, allowed=tuple(allowed[name]))
            )
    return filters


def pattern_detail(request: HttpRequest, slug: str) -> out.PatternDetail:
    """Raises Http404 for a pattern that is not published."""
    pattern = published_pattern(slug)
    examples = list(pattern.examples.all())
    attach_verifications(examples)
    attach_size_history(examples)
    shown = {v.pk for e in examples for v in (e.verification, e.last_result) if v is not None}
    stored = set(
        ImageLayers.objects.filter(verification__in=shown).values_list("verification_id", "image_name")
    )
    rows = [(e.verification is not None and e.verification.is_active, *newest_result(e)) for e in examples]
    related = [out.Relation(r.target.slug, r.relation) for r in pattern.relations_out.all()]
    related += [out.Relation(r.source.slug, f"inverse:{r.relation}") for r in pattern.relations_in.all()]
    return out.PatternDetail(
        **summary_fields(request, pattern, status_word(rows)),
        body_markdown=pattern.body_markdown,
        sources=tuple(pattern.sources),
        related=tuple(related),
        examples=tuple(example_data(request, example, stored) for example in examples),
    )


def newest_result(example: Example) -> tuple[str | None, str | None]:
    result = example.last_result
    return (result.state, result.failure_reason) if result is not None else (None, None)


def example_data(request: HttpRequest, example: Example, stored: set[tuple[int, str]]) -> out.Example:
    absolute = request.build_absolute_uri
    shown = example.last_result
    ran = shown.report.commands if shown is not None and shown.report else ()
    verification = verification_data(example.verification, example, absolute, stored)
    # The newest row is most often the newest result too: built once, given twice.
    same = shown is not None and example.verification is not None and shown.pk == example.verification.pk
    return out.Example(
        slug=example.slug,
        title=example.title,
        summary=example.summary,
        content_hash=example.content_hash,
        host_access=tuple(example.host_access),
        scenario=example.scenario,
        archive_url=absolute(example.get_archive_url()),
        files=tuple(
            out.ExampleFile(path=f.path, language=f.language, executable=f.executable, content=f.content)
            for f in example.files.all()
        ),
        status=status_of(example.verification),
        verification=verification,
        last_result=verification if same else verification_data(shown, example, absolute, stored),
        commands=tuple(
            out.Command(
                title=row.command.title,
                run=row.command.run,
                expected=row.command.expected,
                exit_code=row.command.exit_code,
                output_contains=row.command.output_contains,
                result=row.result,
            )
            for row in command_rows(example.parsed_scenario, ran)
        ),
        size_history={
            name: tuple(out.SizePoint(finished_at=moment, size=size) for moment, size in points)
            for name, points in example.size_history.items()
        },
    )
