"""The newest verification of each example in a fixed number of queries, tile marks and badge words.

A page asks for its examples' verifications without ever reading all of them: the
newest ids come from subqueries on the examples' own query, then one `in_bulk`
fetches those rows and nothing else.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery

from catalog.models import Example, Pattern, Verification

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
    return status_word(
        _status_rows(pattern.examples.all()).values_list("active", "result_state", "result_reason")
    )


def pattern_states() -> dict[int, str]:
    """The badge's word for every published pattern with examples, by pattern id, in one query."""
    rows = _status_rows(Example.objects.filter(pattern__published=True)).values_list(
        "pattern_id", "active", "result_state", "result_reason"
    )
    found = defaultdict(list)
    for pattern_id, *row in rows:
        found[pattern_id].append(row)
    return {pattern_id: status_word(pattern_rows) for pattern_id, pattern_rows in found.items()}


def status_word(rows: Iterable[Sequence]) -> str:
    """running while any example runs, else the combined verdict of (active, state, reason) rows."""
    rows = list(rows)
    if any(active for active, _, _ in rows):
        return "running"
    return combined_verdict([example_verdict(state, reason) for _, state, reason in rows])


def _status_rows(examples: QuerySet) -> QuerySet:
    active = Verification.objects.active().filter(example=OuterRef("pk"))
    return _result_columns(examples).annotate(active=Exists(active))
