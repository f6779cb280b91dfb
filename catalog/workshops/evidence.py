"""What the latest verifications say about a workshop's examples, read in two queries into plain data.

The agenda and the readiness line are computed from this, never from rows of their own, so a
page's query count does not depend on how many items or past runs there are.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import F

from catalog.models import Example, Verification
from catalog.verifications.latest import example_verdict, with_passed_id, with_verification_ids
from worker.contract.report import LayerDownload

# An example's state for a workshop: a verdict of its newest result (latest.example_verdict),
# or one of these when that result says nothing about the example's current files.
STALE, NEVER, MISSING = "stale", "never", "missing"


@dataclass(frozen=True)
class ExampleEvidence:
    pattern: str
    slug: str
    verdict: str  # passed, failed, error, skipped, stale, never, missing
    finished_at: datetime | None = None  # of the newest result
    engine: str = ""
    arch: str = ""
    seconds: float | None = None  # the newest passed run's duration: its builds, steps and commands
    passed_at: datetime | None = None  # when the newest passed run finished, whatever files it verified
    bases: tuple[str, ...] = ()  # the base images its builds read, as that run found them


@dataclass(frozen=True)
class Evidence:
    examples: dict[tuple[str, str], ExampleEvidence] = field(default_factory=dict)
    # ref -> its layers as a pull fetches them (worker/bases/downloads.py), from the newest run that
    # measured them; a base no run measured is missing
    base_layers: dict[str, tuple[LayerDownload, ...]] = field(default_factory=dict)
    stand_ins: frozenset[str] = frozenset()  # bases that were built offline, not pulled

    def of(self, pattern: str, slug: str) -> ExampleEvidence:
        return self.examples.get((pattern, slug)) or ExampleEvidence(pattern, slug, MISSING)


def gather_evidence(pattern_ids: Iterable[int]) -> Evidence:
    """Every example of these patterns with its newest result and newest pass: two queries."""
    examples = with_passed_id(with_verification_ids(Example.objects.filter(pattern_id__in=set(pattern_ids))))
    examples = list(
        examples.annotate(pattern_slug=F("pattern__slug"))
        .only("slug", "pattern_id", "content_hash")
        .order_by()
    )
    wanted = {e.newest_result_id for e in examples} | {e.newest_passed_id for e in examples}
    wanted.discard(None)
    rows = Verification.objects.defer("log").in_bulk(wanted) if wanted else {}
    found, layers, stand_ins = {}, {}, set()
    for example in examples:
        result, passed = rows.get(example.newest_result_id), rows.get(example.newest_passed_id)
        report = result.report if result else None
        # Bases and sizes from the run whose time is shown; for an example that never passed, its last try.
        measured = passed.report if passed else report
        bases = measured.environment.bases if measured and measured.environment else ()
        stand_ins.update(base.ref for base in bases if base.source == "stand-in")
        when = measured_at(passed or result)
        for base in bases:  # a base provisioned again has other layers: the newest measurement stands
            if base.layers and when >= layers.get(base.ref, (when, ()))[0]:
                layers[base.ref] = (when, base.layers)
        found[(example.pattern_slug, example.slug)] = ExampleEvidence(
            pattern=example.pattern_slug,
            slug=example.slug,
            verdict=verdict_of(result, example.content_hash),
            finished_at=result.finished_at if result else None,
            engine=report.engine_fact("version") if report else "",
            arch=report.engine_fact("arch") if report else "",
            seconds=passed.duration if passed else None,
            passed_at=passed.finished_at if passed else None,
            bases=tuple(base.ref for base in bases),
        )
    return Evidence(found, {ref: kept for ref, (_, kept) in layers.items()}, frozenset(stand_ins))


EARLIEST = datetime.min.replace(tzinfo=UTC)


def measured_at(verification: Verification | None) -> datetime:
    return (verification.finished_at if verification else None) or EARLIEST


def verdict_of(result: Verification | None, content_hash: str) -> str:
    if result is None:
        return NEVER
    if result.example_hash != content_hash:
        return STALE
    return example_verdict(result.state, result.failure_reason)
