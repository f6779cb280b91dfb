"""The page of the catalog's typed relations: every published pattern, every relation between two of them."""

from dataclasses import dataclass

from django.shortcuts import render

from catalog.diagrams.relations_svg import GraphEdge, GraphGroup, GraphNode, relations_svg
from catalog.models import Category, Pattern, PatternRelation
from catalog.periodic_table import build_table
from catalog.serving.page_cache import page_cached

Relation = PatternRelation.Relation

# Each kind as a sentence reads it, "A <words> B", in the order of the model's choices.
SENTENCE_WORDS = {
    Relation.USES: "uses",
    Relation.PART_OF: "is part of",
    Relation.ALTERNATIVE_TO: "is an alternative to",
    Relation.FIXES: "fixes",
    Relation.REALISES: "realises",
    Relation.RELATED: "is related to",
}


@dataclass(frozen=True)
class RelationGroup:
    kind: str
    label: str
    words: str
    relations: tuple[PatternRelation, ...]


def published_relations() -> list[PatternRelation]:
    """Relations whose two ends are published, in the order of kinds, then of the table."""
    order = {value: position for position, value in enumerate(SENTENCE_WORDS)}
    relations = PatternRelation.objects.filter(source__published=True, target__published=True).select_related(
        "source", "target"
    )
    return sorted(
        relations,
        key=lambda r: (
            order.get(r.relation, len(order)),
            r.source.table_column,
            r.source.position,
            r.source.name,
            r.target.name,
        ),
    )


@page_cached
def relations(request):
    """Four queries whatever the size of the catalog: categories, patterns and theirs, relations."""
    patterns = list(Pattern.objects.for_table())
    table = build_table(patterns, list(Category.objects.all()), category="", kind="")
    groups = [
        GraphGroup(
            block.title,
            tuple(
                GraphNode(t.pattern.slug, t.pattern.name, t.pattern.get_absolute_url()) for t in block.tiles
            ),
        )
        for block in table.blocks
    ]
    found = published_relations()
    edges = [GraphEdge(r.source.slug, r.relation, r.target.slug) for r in found]
    words = {str(kind): words for kind, words in SENTENCE_WORDS.items()}
    listed = [
        RelationGroup(str(kind), kind.label, words, tuple(r for r in found if r.relation == kind))
        for kind, words in SENTENCE_WORDS.items()
    ]
    context = {
        "graph_svg": relations_svg(groups, edges, words),
        "groups": [group for group in listed if group.relations],
        "pattern_count": len(patterns),
        "relation_count": len(found),
    }
    return render(request, "catalog/relations.html", context)
