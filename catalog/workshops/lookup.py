"""A workshop by its slug, with its agenda, and one of its cuts by name (the kit, the pre-flight)."""

from catalog.workshops.models import Workshop, WorkshopCut


class NoSuchWorkshop(LookupError):
    """No workshop by that slug, or no cut by that name; the message says which."""


def find_workshop(slug: str, cut_name: str = "") -> tuple[Workshop, WorkshopCut | None]:
    """A workshop (curated or a trainer's) with its agenda, and its cut by name when one is asked for."""
    workshop = Workshop.objects.with_agenda().filter(slug=slug).first()
    if workshop is None:
        raise NoSuchWorkshop(f"no workshop '{slug}'")
    cut = next((cut for cut in workshop.cuts.all() if cut.name == cut_name), None)
    if cut_name and cut is None:
        names = ", ".join(cut.name for cut in workshop.cuts.all()) or "none"
        raise NoSuchWorkshop(f"workshop '{slug}' has no cut '{cut_name}' (its cuts: {names})")
    return workshop, cut
