"""The builder's forms: a workshop's details, a part's title, an item, an upload.

They apply the file format's rules (catalog/workshops/sources.py and fields.py) rather than
rules of their own, so what the builder accepts is what an export can be imported as.
"""

from django import forms

from catalog.content.rendering import render_markdown
from catalog.workshops.fields import MAX_ITEM_MINUTES
from catalog.workshops.loader import TITLE_LIMIT
from catalog.workshops.models import Workshop, WorkshopItem, WorkshopPart
from catalog.workshops.sources import DURATION_HELP, duration_words, parse_duration
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
