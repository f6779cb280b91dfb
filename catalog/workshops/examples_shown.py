"""The items a workshop (or a cut) shows and their examples, as the pre-flight, the freeze and the daily
re-verification read them."""

from django.db.models import QuerySet

from catalog.models import Example
from catalog.workshops.models import Workshop, WorkshopCut, WorkshopItem


def items_of(workshop: Workshop, cut: WorkshopCut | None) -> list[WorkshopItem]:
    """The items shown, in agenda order: the cut's when one is given."""
    items = [item for part in workshop.parts.all() for item in part.items.all()]
    return [item for item in items if cut is None or cut.keeps(item)]


def examples_of(items: list[WorkshopItem], examples: QuerySet | None = None) -> list[Example]:
    """The items' examples that the catalog still has, in agenda order, each once, read in one query
    from `examples` (say, with their files prefetched) with their patterns."""
    examples = Example.objects.all() if examples is None else examples
    rows = examples.filter(pattern_id__in={item.pattern_id for item in items}).select_related("pattern")
    found = {(example.pattern_id, example.slug): example for example in rows}
    wanted = dict.fromkeys((item.pattern_id, slug) for item in items for slug in item.examples)
    return [found[key] for key in wanted if key in found]
