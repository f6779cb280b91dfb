"""Full-text search over patterns: SQLite FTS5 or PostgreSQL full-text search behind one interface.

Both backends rank a match in the name above one in the summary, the body and
the example files, in that order, and mark matches with private-use characters
that are turned into <mark> only after the text has been escaped.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalog.content.rendering import plain_text
from catalog.models import Pattern, SearchDocument

START, STOP = "\ue000", "\ue001"
WORD = re.compile(r"\w+", re.UNICODE)
MOST_TERMS = 8
MOST_RESULTS = 50
FTS_TABLE = "catalog_search_fts"
# bm25 weights for name, summary, body, files; PostgreSQL weights for D, C, B, A.
FTS_WEIGHTS = (10.0, 4.0, 1.0, 0.5)
PG_WEIGHTS = [0.05, 0.2, 0.5, 1.0]


@dataclass(frozen=True)
class SearchHit:
    pattern: Pattern
    snippet: SafeString


def terms(query: str) -> list[str]:
    return [term.lower() for term in WORD.findall(query)][:MOST_TERMS]


def search_patterns(query: str) -> list[SearchHit]:
    """Published patterns matching every term (as a prefix), best first."""
    words = terms(query)
    if not words:
        return []
    rows = _postgres_rows(words) if connection.vendor == "postgresql" else _sqlite_rows(words)
    patterns = Pattern.objects.published().with_categories().in_bulk([pk for pk, _ in rows])
    return [SearchHit(patterns[pk], mark_matches(snippet)) for pk, snippet in rows if pk in patterns]


def mark_matches(text: str) -> SafeString:
    escaped = escape(text)
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))


def index_pattern(pattern: Pattern, files_text: str) -> None:
    """Store what search reads for one pattern (called by the sync for changed patterns)."""
    document, _ = SearchDocument.objects.update_or_create(
        pattern=pattern,
        defaults={
            "name": pattern.name,
            "summary": pattern.summary,
            "body": plain_text(pattern.body_html),
            "files": files_text,
        },
    )
    if connection.vendor == "postgresql":
        SearchDocument.objects.filter(pk=document.pk).update(
            vector=SearchVector("name", weight="A", config="english")
            + SearchVector("summary", weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
            + SearchVector("files", weight="D", config="simple")
        )


def _sqlite_rows(words: list[str]) -> list[tuple[int, str]]:
    match = " ".join(f'"{word}"*' for word in words)
    weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
    sql = f"""
        SELECT d.pattern_id,
               snippet({FTS_TABLE}, -1, %s, %s, '…', 24)
        FROM {FTS_TABLE}
        JOIN catalog_searchdocument d ON d.id = {FTS_TABLE}.rowid
        JOIN catalog_pattern p ON p.id = d.pattern_id AND p.published
        WHERE {FTS_TABLE} MATCH %s
        ORDER BY bm25({FTS_TABLE}, {weights})
        LIMIT {MOST_RESULTS}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [START, STOP, match])
        return list(cursor.fetchall())


def _postgres_rows(words: list[str]) -> list[tuple[int, str]]:
    query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="english")
    documents = (
        SearchDocument.objects.filter(vector=query, pattern__published=True)
        .annotate(rank=SearchRank(F("vector"), query, weights=PG_WEIGHTS))
        .order_by("-rank", "name")[:MOST_RESULTS]
    )
    rows = []
    for document in documents:
        rows.append((document.pattern_id, _headline(document, words)))
    return rows


def _headline(document: SearchDocument, words: list[str]) -> str:
    """A snippet around the first matching word, marked like FTS5's snippet()."""
    text = f"{document.summary} {document.body}"
    lowered = text.lower()
    hits = [lowered.find(word) for word in words if lowered.find(word) >= 0]
    start = max(min(hits) - 80, 0) if hits else 0
    excerpt = text[start : start + 240]
    pattern = re.compile("|".join(re.escape(word) + r"\w*" for word in words), re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", excerpt)
    return ("…" if start else "") + marked + ("…" if start + 240 < len(text) else "")
