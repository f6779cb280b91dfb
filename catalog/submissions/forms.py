"""The contributor's forms. They take what is typed as it is (lengths only): the pattern folder's own rules
are the loader's, checked on the whole folder (catalog/submissions/folder.py) and shown beside each field."""

from django import forms

from catalog.content.taxonomy import KINDS
from catalog.submissions.models import Submission

TEXT_MAX = 20_000
BODY_MAX = 200_000
FILE_MAX = 256 * 1024


class StartForm(forms.Form):
    kind = forms.ChoiceField(choices=Submission.Kind.choices, widget=forms.RadioSelect)
    slug = forms.CharField(
        label="Pattern",
        max_length=80,
        help_text="For a new pattern, its name in links (lower-case words joined by '-'); "
        "for a change, the pattern's, as in /patterns/<name>/.",
    )


class PatternForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    symbol = forms.CharField(max_length=10, required=False, help_text="2-3 letters, the first upper case.")
    categories = forms.CharField(
        max_length=200,
        required=False,
        help_text="A YAML list of one or two: [development], [runtime, composite].",
    )
    order = forms.CharField(max_length=10, required=False, help_text="Its place in its column, a number.")
    kind = forms.ChoiceField(choices=[("", "(choose)")] + [(kind, kind) for kind in KINDS], required=False)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_MAX, required=False)
    related = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX,
        required=False,
        help_text="A YAML list of {pattern: slug, relation: uses | fixes | fixed-by | related ...}.",
    )
    sources = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX,
        required=False,
        help_text="A YAML list of {title, author, url}: where the facts come from.",
    )
    unverifiable = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=TEXT_MAX,
        required=False,
        help_text="Only for a pattern no example can prove: why.",
    )
    body = forms.CharField(
        label="Page (Markdown)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        max_length=BODY_MAX,
        required=False,
        strip=False,  # kept exactly as typed
    )


class FileForm(forms.Form):
    path = forms.CharField(
        max_length=200, help_text="examples/<example>/<file>, such as examples/hello/Dockerfile"
    )
    content = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        max_length=FILE_MAX,
        required=False,
        strip=False,
    )
    executable = forms.BooleanField(required=False)


class UploadForm(forms.Form):
    example = forms.CharField(max_length=80, help_text="The example's name, such as 'hello'.")
    archive = forms.FileField(
        help_text="A .tar.gz or .zip of the example's folder: its files replace the example's."
    )
