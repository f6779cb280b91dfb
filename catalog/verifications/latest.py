"""The newest verification of each example in a fixed number of queries, tile marks, badge words, API JSON.

A page asks for its examples' verifications without ever reading all of them: the
newest ids come from subqueries on the examples' own query, then one `in_bulk`
fetches those rows and nothing else.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.urls import reverse

from catalog.models import Example, Pattern, Verification
from worker.contract.codec import to_json

RESULT_STATES = (Verification.State.PASSED, Verification.State.FAILED, Verification.State.ERROR)
NOT_RUN_HERE = Verification.Reason.HOST_ACCESS_DISABLED


# --- queries ---


def _newest(results_only: bool) -> QuerySet:
    rows = Verification.objects.filter(example=OuterRef("pk"))
    if results_only:
        return rows.filter(state__in=RESULT_STATES).order_by(F("finished_at").desc(nulls_last=True), "-pk")
    return rows.order_by("-queued_at", "-pk")


def with_verification_ids(examples: QuerySet) -> QuerySet:
    """Examples annotated with the id of their newest verification and of their newest result."""
    return examples.annotate(
        newest_verification_id=Subquery(_newest(False).values("pk")[:1]),
        newest_result_id=Subquery(_newest(True).values("pk")[:1]),
    )


def with_passed_id(examples: QuerySet) -> QuerySet:
    """Examples annotated with the id of their newest passed verification (what a measured time reads)."""
    passed = _newest(True).filter(state=Verification.State.PASSED)
    return examples.annotate(newest_passed_id=Subquery(passed.values("pk")[:1]))


def attach_verifications(examples: Iterable[Example]) -> None:
    """Set `verification` (the newest) and `last_result` (the newest finished) on annotated examples.

    One query whatever the number of examples or of their past verifications.
    """
    examples = list(examples)
    wanted = {e.newest_verification_id for e in examples} | {e.newest_result_id for e in examples}
    wanted.discard(None)
    rows = Verification.objects.in_bulk(wanted) if wanted else {}
    for example in examples:
        example.verification = rows.get(example.newest_verification_id)
        example.last_result = rows.get(example.newest_result_id)


def example_verdict(state: str | None, reason: str | None) -> str:
    """An example's newest result as a mark: an example this site may not run is neither."""
    if reason == NOT_RUN_HERE:
        return "skipped"
    return state or "none"


def combined_verdict(verdicts: list[str]) -> str:
    """passed when every example passed, failed when any failed, error, or none."""
    if "failed" in verdicts:
        return "failed"
    if verdicts and all(verdict == "passed" for verdict in verdicts):
        return "passed"
    return "error" if "error" in verdicts else "none"


def _result_columns(examples: QuerySet) -> QuerySet:
    newest = _newest(True)
    return examples.annotate(
        result_state=Subquery(newest.values("state")[:1]),
        result_reason=Subquery(newest.values("failure_reason")[:1]),
    ).order_by()


def pattern_marks() -> dict[int, str]:
    """'passed' or 'failed' per published pattern id, from each example's newest result, in one query."""
    rows = _result_columns(Example.objects.filter(pattern__published=True)).values_list(
        "pattern_id", "result_state", "result_reason"
    )
    verdicts = defaultdict(list)
    for pattern_id, state, reason in rows:
        verdicts[pattern_id].append(example_verdict(state, reason))
    marks = {pattern_id: combined_verdict(found) for pattern_id, found in verdicts.items()}
    return {pattern_id: mark for pattern_id, mark in marks.items() if mark in ("passed", "failed")}


def pattern_status(pattern: Pattern) -> str:
    """The badge's word for a pattern: running while any example runs, else its combined verdict."""
    active = Verification.objects.active().filter(example=OuterRef("pk"))
    rows = list(
        _result_columns(pattern.examples.all())
        .annotate(active=Exists(active))
        .values_list("active", "result_state", "result_reason")
    )
    if any(active for active, _, _ in rows):
        return "running"
    return combined_verdict([example_verdict(state, reason) for _, state, reason in rows])


# --- the API's form ---


def verification_json(
    verification: Verification | None, example: Example, absolute: Callable[[str], str] = str
) -> dict | None:
    """A verification as the JSON API gives it: state, checks with both values, images with history."""
    if verification is None:
        return None
    report = verification.report
    return {
        "id": verification.pk,
        "state": verification.state,
        "failure_reason": verification.failure_reason,
        "detail": verification.detail,
        "attempt": verification.attempt,
        "queued_at": verification.queued_at,
        "started_at": verification.started_at,
        "finished_at": verification.finished_at,
        "duration": verification.duration,
        "current": verification.example_hash == example.content_hash,
        "checks": [fields_of(check, CHECK_FIELDS) for check in report.checks] if report else [],
        "images": {
            name: {
                **fields_of(facts, IMAGE_FIELDS),
                "history": [fields_of(row, HISTORY_FIELDS) for row in facts.history],
            }
            for name, facts in (report.images.items() if report else ())
        },
        "engine": report.engine if report else {},
        "environment": to_json(report.environment) if report and report.environment else {},
        "log_url": absolute(reverse("catalog:verification-log", args=[verification.pk])),
    }


def fields_of(value: object, names: tuple[str, ...]) -> dict:
    return {name: getattr(value, name) for name in names}


CHECK_FIELDS = ("step_index", "action", "name", "expected", "observed", "passed", "detail")
IMAGE_FIELDS = ("id", "tag", "size", "layers", "base_ref", "base_id", "base_size", "own_size", "user")
HISTORY_FIELDS = ("instruction", "created_by", "size", "created", "base")
