"""Starting, saving and checking a contributor's draft; what is typed is always kept, checked or not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.content.examples import FILE_NAME
from catalog.content.taxonomy import SLUG_PATTERN
from catalog.submissions.folder import (
    README,
    Checked,
    check_folder,
    compose_readme,
    folder_digest,
    read_pattern,
)
from catalog.submissions.models import Submission, SubmissionFile
from catalog.submissions.quotas import drafts_refusal

EXAMPLE_PATH = re.compile(r"^examples/([a-z0-9]+(?:-[a-z0-9]+)*)/(.+)$")
MOST_PATH_DEPTH = 8

NEW_PATTERN_BODY = "\n\n".join(
    f"## {section}\n\n" for section in ("Problem", "Solution", "How the example shows it")
) + "\n\n".join(f"## {section}\n\n" for section in ("When to use", "When not to use", "Trade-offs"))


class DraftRefused(ValueError):
    """What the contributor asked for cannot be started or saved; the message says why."""


def patterns_dir() -> Path:
    return Path(settings.PATTERNS_DIR)


def start_draft(author, kind: str, slug: str) -> Submission:
    """A new draft: an empty pattern to fill in, or a copy of the catalog's pattern to change."""
    if not SLUG_PATTERN.match(slug or ""):  # before it names a folder
        raise DraftRefused("a pattern's name in links is lower-case words joined by '-', like 'init-process'")
    refusal = drafts_refusal(author)
    if refusal:
        raise DraftRefused(refusal)
    exists = (patterns_dir() / slug / README).is_file()
    if kind == Submission.Kind.NEW:
        if exists:
            raise DraftRefused(f"the catalog has a pattern {slug!r} already: propose a change to it instead")
        return Submission.objects.create(author=author, kind=kind, slug=slug, body=NEW_PATTERN_BODY)
    if kind != Submission.Kind.CHANGE:
        raise DraftRefused("choose a new pattern or a change to one")
    if not exists:
        raise DraftRefused(f"the catalog has no pattern {slug!r} to change")
    fields, body, files = read_pattern(patterns_dir(), slug)
    with transaction.atomic():
        submission = Submission.objects.create(
            author=author,
            kind=kind,
            slug=slug,
            fields=fields,
            body=body,
            base_hash=folder_digest(compose_readme(fields, body)[0], files),
        )
        SubmissionFile.objects.bulk_create(
            SubmissionFile(submission=submission, path=path, content=content, executable=executable)
            for path, (content, executable) in files.items()
        )
    return submission


def files_of(submission: Submission) -> dict[str, tuple[str, bool]]:
    return {file.path: (file.content, file.executable) for file in submission.files.all()}


def save_typed(submission: Submission, fields: Mapping[str, str], body: str) -> Checked:
    """Keep the README's fields and body as typed, then check the whole folder."""
    submission.fields = {name: value for name, value in fields.items() if isinstance(value, str)}
    submission.body = body
    return check_and_keep(submission)


def check_and_keep(submission: Submission) -> Checked:
    """Check the folder as the catalog would load it; keep the problems with the draft."""
    readme, typed = compose_readme(submission.fields, submission.body)
    checked = check_folder(patterns_dir(), submission.slug, readme, files_of(submission))
    problems = [*typed, *checked.problems]
    submission.problems = [problem.as_row() for problem in problems]
    submission.checked_at = submission.updated_at = timezone.now()
    submission.save()
    return Checked(checked.source if not problems else None, tuple(problems))


def check_file_path(path: str) -> str:
    """A path for a file of an example, as the loader accepts it; DraftRefused says what is wrong."""
    path = path.strip()
    match = EXAMPLE_PATH.match(path)
    if not match:
        raise DraftRefused(
            f"{path!r}: an example's file goes under examples/<example>/, the example a slug such as 'hello'"
        )
    parts = match.group(2).split("/")
    if len(parts) > MOST_PATH_DEPTH or any(part in ("", ".", "..") for part in parts):
        raise DraftRefused(f"{path!r}: not a plain path inside the example's folder")
    if not FILE_NAME.match(match.group(2)):
        raise DraftRefused(f"{path!r}: file names use letters, digits, '.', '_' and '-'")
    return path


def put_file(submission: Submission, path: str, content: str, executable: bool) -> Checked:
    """Add or replace one file, then check the folder again."""
    path = check_file_path(path)
    if "\x00" in content:
        raise DraftRefused(f"{path}: holds a NUL character; examples hold text files only")
    SubmissionFile.objects.update_or_create(
        submission=submission, path=path, defaults={"content": content, "executable": executable}
    )
    return check_and_keep(submission)


def remove_file(submission: Submission, path: str) -> Checked:
    submission.files.filter(path=path).delete()
    return check_and_keep(submission)


@transaction.atomic
def put_example(submission: Submission, example: str, files: Mapping[str, tuple[bytes, bool]]) -> Checked:
    """An uploaded example folder replaces the example of that name, whole."""
    if not SLUG_PATTERN.match(example or ""):
        raise DraftRefused("the example's name is a slug, such as 'hello'")
    rows = []
    for name, (data, executable) in sorted(files.items()):
        path = check_file_path(f"examples/{example}/{name}")
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DraftRefused(f"{name}: not UTF-8 text; examples hold text files only") from error
        rows.append(SubmissionFile(submission=submission, path=path, content=content, executable=executable))
    submission.files.filter(path__startswith=f"examples/{example}/").delete()
    SubmissionFile.objects.bulk_create(rows)
    return check_and_keep(submission)
