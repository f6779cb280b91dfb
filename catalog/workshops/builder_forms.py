"""The builder's forms: a workshop's details, a part's title, an item, a cut, an upload.

They apply the file format's rules (catalog/workshops/sources.py and fields.py) rather than
rules of their own, so what the builder accepts is what an export can be imported as.
"""

import re

from django import forms
from django.utils.text import slugify

from catalog.content.rendering import render_markdown
from catalog.workshops.fields import MAX_ITEM_MINUTES, SLUG_LIMIT
from catalog.workshops.loader import TITLE_LIMIT
from catalog.workshops.models import Workshop, WorkshopItem, WorkshopPart
from catalog.workshops.sources import DURATION_HELP, cut_keeps, duration_words, parse_duration
from catalog.workshops.uploads import MAX_BYTES

NOTES_LIMIT = 5000
PROSE_LIMIT = 1000


class ProseField(forms.CharField):
    """One paragraph: runs of spaces and line breaks become one space, as a summary is shown."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class MarkdownField(forms.CharField):
    """Notes keep their lines; a browser sends CRLF, the files have LF."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")


class WorkshopForm(forms.ModelForm):
    title = forms.CharField(max_length=TITLE_LIMIT)
    summary = ProseField(max_length=PROSE_LIMIT, widget=forms.Textarea(attrs={"rows": 3}))
    audience = ProseField(max_length=PROSE_LIMIT, help_text="Who it is for, in a few words.")
    duration = forms.CharField(max_length=12, help_text=f"How long the session is: {DURATION_HELP}.")
    event_date = forms.DateField(
        required=False, label="Date", widget=forms.DateInput(attrs={"type": "date"}), help_text="Optional."
    )

    class Meta:
        model = Workshop
        fields = ["title", "summary", "audience", "event_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.duration_minutes:
            self.initial.setdefault("duration", duration_words(self.instance.duration_minutes))
        self.order_fields(["title", "summary", "audience", "duration", "event_date"])

    def clean_duration(self) -> int:
        try:
            return parse_duration(self.cleaned_data["duration"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def save(self, commit=True):
        self.instance.duration_minutes = self.cleaned_data["duration"]
        return super().save(commit)


class PartForm(forms.ModelForm):
    title = forms.CharField(max_length=TITLE_LIMIT)

    class Meta:
        model = WorkshopPart
        fields = ["title"]


class PatternForm(forms.Form):
    """The first step of adding an item, by GET: which pattern, into which part."""

    pattern = forms.ChoiceField()
    part = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args, patterns, parts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pattern"].choices = [("", "Choose a pattern")] + [(p.slug, p.name) for p in patterns]
        self.fields["part"].choices = [(part.pk, part.title) for part in parts]


class ItemForm(forms.ModelForm):
    """An item's examples, minutes, depth and notes; each example is shown once per workshop."""

    examples = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)
    minutes = forms.IntegerField(min_value=1, max_value=MAX_ITEM_MINUTES, initial=10)
    depth = forms.ChoiceField(choices=WorkshopItem.Depth.choices, widget=forms.RadioSelect, initial="core")
    notes_markdown = MarkdownField(
        label="Speaker notes",
        required=False,
        max_length=NOTES_LIMIT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown: talking points for you, shown under the item on the workshop's page.",
    )

    class Meta:
        model = WorkshopItem
        fields = ["examples", "minutes", "depth", "notes_markdown"]

    def __init__(self, *args, examples: tuple[str, ...], shown: dict[str, str], **kwargs):
        """`examples`: the pattern's; `shown`: those of its examples other items show, with where."""
        super().__init__(*args, **kwargs)
        self.known, self.shown = examples, shown
        field = self.fields["examples"]
        field.choices = [(slug, slug) for slug in examples]
        if not self.instance.pk:
            self.initial.setdefault("examples", [slug for slug in examples if slug not in shown])

    def clean_examples(self) -> list[str]:
        chosen = [slug for slug in self.known if slug in self.cleaned_data["examples"]]  # the pattern's order
        if self.known and not chosen:
            raise forms.ValidationError("Choose at least one example to show.")
        taken = [f"{slug} is already shown in {self.shown[slug]}" for slug in chosen if slug in self.shown]
        if taken:
            raise forms.ValidationError("Each example is shown once per workshop: " + "; ".join(taken) + ".")
        return chosen

    def save(self, commit=True):
        notes = self.cleaned_data["notes_markdown"]
        self.instance.notes_html = render_markdown(notes)[0] if notes else ""
        return super().save(commit)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Workshop file",
        help_text=f"A .yaml file in the workshops' format, at most {MAX_BYTES // 1024} KiB.",
    )


class CutForm(forms.Form):
    """A shorter version: its title (the cut's name is made from it), duration and what it drops.

    The rules are the file's (catalog/workshops/loader.load_cut and check_cuts), so the cut
    exports and imports as it was made.
    """

    title = forms.CharField(max_length=TITLE_LIMIT, help_text="For example “Two-hour version”.")
    duration = forms.CharField(max_length=12, help_text=f"Shorter than the workshop: {DURATION_HELP}.")
    drop_extras = forms.BooleanField(required=False, initial=True, label="Drop the items marked extra")
    drop_patterns = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label="Drop these patterns"
    )

    def __init__(self, *args, workshop: Workshop, **kwargs):
        super().__init__(*args, prefix="new-cut", **kwargs)
        self.workshop = workshop
        self.items = list(
            WorkshopItem.objects.filter(part__workshop=workshop)
            .select_related("pattern")
            .order_by("part__position", "position")
        )
        patterns = dict.fromkeys((item.pattern.slug, item.pattern.name) for item in self.items)
        self.fields["drop_patterns"].choices = list(patterns)

    def clean_duration(self) -> int:
        try:
            minutes = parse_duration(self.cleaned_data["duration"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        if minutes >= self.workshop.duration_minutes:
            limit = duration_words(self.workshop.duration_minutes)
            raise forms.ValidationError(f"A cut is a shorter version: give less than the workshop's {limit}.")
        return minutes

    def clean(self):
        data = super().clean()
        if "title" not in data:
            return data
        data["name"] = "-".join(re.findall("[a-z0-9]+", slugify(data["title"])))[:SLUG_LIMIT].strip("-")
        if not data["name"]:
            self.add_error("title", "Use letters or digits: the cut's name in links is made from its title.")
        elif self.workshop.cuts.filter(name=data["name"]).exists():
            self.add_error("title", f"The workshop already has a cut named “{data['name']}”.")
        depths = ("extra",) if data.get("drop_extras") else ()
        dropped = tuple(data.get("drop_patterns", ()))
        if not depths and not dropped:
            raise forms.ValidationError("A cut drops something: the extra items, some patterns or both.")
        if not any(cut_keeps(depths, dropped, item.depth, item.pattern.slug) for item in self.items):
            raise forms.ValidationError("This cut would drop every item: keep at least one.")
        data["drop_depths"], data["drop_patterns"] = list(depths), list(dropped)
        return data
