"""The fixed vocabulary of the catalog: categories with their colours, kinds, relations, page sections."""

import re
from dataclasses import dataclass

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CategoryInfo:
    slug: str
    name: str
    colour: str  # dark enough for white text at WCAG AA
    description: str


CATEGORIES = (
    CategoryInfo("development", "Development", "#1f65b7", "Writing and building images."),
    CategoryInfo("distribution", "Distribution", "#a34f00", "Shaping and shipping images."),
    CategoryInfo("runtime", "Runtime", "#2a7a32", "Running one container well."),
    CategoryInfo("composite", "Composite", "#6b3fa0", "Several containers working together."),
)
CATEGORY_SLUGS = tuple(category.slug for category in CATEGORIES)

KINDS = ("pattern", "anti-pattern", "principle", "platform")

# Relations an author may write; `fixed-by` is stored as the other page's `fixes`, and
# `realised-by` (a principle naming the patterns that put it into practice) as their `realises`.
RELATIONS = ("uses", "part-of", "alternative-to", "fixes", "fixed-by", "realises", "realised-by", "related")
INVERTED_RELATIONS = {"fixed-by": "fixes", "realised-by": "realises"}

SECTIONS = (
    "Problem",
    "Solution",
    "How the example shows it",
    "When to use",
    "When not to use",
    "Trade-offs",
)
