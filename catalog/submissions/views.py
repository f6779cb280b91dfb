"""The contributor's pages: start a draft, edit its README and files, upload an example, see the problems.

Every page is the author's own (another account gets a 404), never cached, and every change is a
POST with a CSRF token. What is typed is saved first and checked after: a draft that does not check
keeps every word, with each problem beside its field or file.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.content.rendering import render_markdown
from catalog.models import Pattern
from catalog.submissions import archives
from catalog.submissions.drafts import (
    DraftRefused,
    check_and_keep,
    files_of,
    put_example,
    put_file,
    remove_file,
    save_typed,
    start_draft,
)
from catalog.submissions.folder import README
from catalog.submissions.forms import FileForm, PatternForm, StartForm, UploadForm
from catalog.submissions.models import ReviewComment, Submission, SubmissionRun
from catalog.submissions.review import COMMENT_MAX, comments_for
from catalog.submissions.run_results import latest_run_of
from catalog.submissions.submit import submit
from catalog.verifications.live_log import log_since
from catalog.verifications.result import ago
from worker.sandbox_engine import sandbox_status

README_FIELDS = tuple(PatternForm.base_fields)


@never_cache
@require_http_methods(["GET", "POST"])
def start(request):
    """What contributing is, and (logged in) the form that starts a draft."""
    form = StartForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        if form.is_valid():
            try:
                submission = start_draft(request.user, form.cleaned_data["kind"], form.cleaned_data["slug"])
            except DraftRefused as refused:
                form.add_error("slug", str(refused))
            else:
                return redirect(submission.get_absolute_url())
    patterns = Pattern.objects.order_by("name").values_list("slug", "name")
    return render(request, "submissions/start.html", {"form": form, "patterns": patterns})


@never_cache
@login_required
def mine(request):
    submissions = Submission.objects.filter(author=request.user)
    return render(request, "submissions/mine.html", {"submissions": submissions})


def own_submission(request, pk: int) -> Submission:
    return get_object_or_404(Submission, pk=pk, author=request.user)


def editable(request, pk: int) -> Submission:
    submission = own_submission(request, pk)
    if not submission.editable:
        raise Http404(f"this submission is {submission.get_state_display().lower()}: it cannot be edited now")
    return submission


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    """The README's fields and body; "Save" keeps them and checks the folder, "Preview" shows the page."""
    submission = own_submission(request, pk)
    preview = ""
    if request.method == "POST":
        submission = editable(request, pk)
        form = PatternForm(request.POST)
        if form.is_valid():
            typed = {name: form.cleaned_data[name] for name in README_FIELDS if name != "body"}
            save_typed(submission, typed, form.cleaned_data["body"])
            if request.POST.get("action") == "preview":
                preview = render_markdown(form.cleaned_data["body"])[0]  # sanitised by nh3 there
            else:
                messages.success(
                    request, "Saved." if not submission.problems else "Saved, with problems to fix."
                )
                return redirect(submission.get_absolute_url())
    else:
        form = PatternForm(initial={**submission.fields, "body": submission.body})
    return render(request, "submissions/edit.html", page_context(submission, form, preview=preview))


def page_context(submission: Submission, form: PatternForm, **extra) -> dict:
    problems = [dict(zip(("file", "field", "message"), row, strict=True)) for row in submission.problems]
    by_field: dict[str, list[str]] = {}
    by_file: dict[str, list[str]] = {}
    general = []
    for problem in problems:
        field = problem["field"].split("[", 1)[0].split(".", 1)[0]
        if problem["file"] == README and field in README_FIELDS:
            by_field.setdefault(field, []).append(problem["message"])
        elif problem["file"] and problem["file"] != README:
            by_file.setdefault(problem["file"], []).append(
                f"{problem['field']}: {problem['message']}" if problem["field"] else problem["message"]
            )
        else:
            general.append(problem)
    files = [
        {"path": path, "content": content, "executable": executable, "problems": by_file.get(path, [])}
        for path, (content, executable) in files_of(submission).items()
    ]
    other_files = sorted(set(by_file) - {file["path"] for file in files})
    general += [{"file": path, "field": "", "message": "; ".join(by_file[path])} for path in other_files]
    latest = latest_run_of(submission)
    run = latest.run
    return {
        "submission": submission,
        "run": run,
        "run_since": ago(run.queued_at) if run else "",
        "comments": comments_for(submission),
        "comment_max": COMMENT_MAX,
        "run_results": latest.results,
        "run_is_current": latest.current,
        "sandbox_problem": sandbox_problem(run),
        "form": form,
        "fields": [(form[name], by_field.get(name, [])) for name in README_FIELDS],
        "general_problems": general,
        "files": files,
        "file_form": FileForm(),
        "upload_form": UploadForm(),
        **extra,
    }


def form_errors(form) -> str:
    """A form's errors in one sentence, for the message shown after the redirect back to the editor."""
    return "; ".join(error for errors in form.errors.values() for error in errors)


@never_cache
@login_required
@require_POST
def save_file(request, pk):
    submission = editable(request, pk)
    form = FileForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The file was not saved: {form_errors(form)}")
        return redirect(submission.get_absolute_url() + "#files")
    try:
        put_file(
            submission,
            form.cleaned_data["path"],
            form.cleaned_data["content"],
            form.cleaned_data["executable"],
        )
    except DraftRefused as refused:
        messages.error(request, f"The file was not saved: {refused}")
    else:
        messages.success(request, f"Saved {form.cleaned_data['path'].strip()}.")
    return redirect(submission.get_absolute_url() + "#files")


@never_cache
@login_required
@require_POST
def delete_file(request, pk):
    submission = editable(request, pk)
    path = request.POST.get("path", "")
    remove_file(submission, path)
    messages.success(request, f"Removed {path}.")
    return redirect(submission.get_absolute_url() + "#files")


@never_cache
@login_required
@require_POST
def upload(request, pk):
    """An example folder as one .tar.gz or .zip: read in memory by catalog/submissions/archives.py."""
    submission = editable(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"Nothing was uploaded: {form_errors(form)}")
        return redirect(submission.get_absolute_url() + "#upload")
    upload_file = form.cleaned_data["archive"]
    limits = archives.UploadLimits()
    if upload_file.size > limits.archive_bytes:
        messages.error(
            request, f"The archive is larger than {limits.archive_bytes // 1024} KiB: nothing was changed."
        )
        return redirect(submission.get_absolute_url() + "#upload")
    try:
        files = archives.read_archive(upload_file.name, upload_file.read(), limits)
        put_example(submission, form.cleaned_data["example"].strip(), files)
    except (archives.ArchiveRefused, DraftRefused) as refused:
        messages.error(request, f"The archive was refused, nothing was changed: {refused}")
    else:
        messages.success(
            request, f"Uploaded {len(files)} file(s) into examples/{form.cleaned_data['example']}/."
        )
    return redirect(submission.get_absolute_url() + "#files")


@never_cache
@login_required
@require_POST
def check_again(request, pk):
    submission = editable(request, pk)
    check_and_keep(submission)
    return redirect(submission.get_absolute_url() + "#problems")


def sandbox_problem(run: SubmissionRun | None) -> str:
    """Why a queued run may not start: the sandboxed engine's own sentence ("" when it is ready).

    A waiting run carries the sentence its worker found (its detail); only a queued one, which no
    worker has looked at yet, costs the page a look at the engine.
    """
    if run is None or run.state != SubmissionRun.State.QUEUED:
        return ""
    return sandbox_status(settings.SANDBOX_DOCKER_HOST).problem


@never_cache
@login_required
@require_POST
def submit_draft(request, pk):
    """Send the draft to the sandbox: it is checked again first, and the account's hourly quota holds."""
    submission = own_submission(request, pk)
    try:
        submit(submission)
    except DraftRefused as refused:
        messages.error(request, f"Not submitted: {refused}.")
        return redirect(submission.get_absolute_url() + "#problems")
    messages.success(request, "Submitted: its examples and their mutants now run in the sandbox.")
    return redirect(submission.get_absolute_url() + "#verification")


@never_cache
@login_required
@require_GET
def run_log(request, pk, run):
    """The live state of a sandbox run and the log text after `offset`, for live-log.js."""
    row = get_object_or_404(SubmissionRun, pk=run, submission__pk=pk, submission__author=request.user)
    return JsonResponse(
        {
            "id": row.pk,
            "state": row.state,
            "state_label": row.get_state_display(),
            "attempt": row.attempt,
            "detail": row.detail or row.progress,
            "finished": row.finished,
            **log_since(request, row.log, row.attempt),
        }
    )


@never_cache
@login_required
@require_POST
def reply(request, pk):
    """The author answers the reviewers: a comment beside theirs, once the submission was submitted."""
    submission = own_submission(request, pk)
    body = request.POST.get("body", "").strip()
    if submission.state == Submission.State.DRAFT:
        messages.error(request, "Not sent: comments begin once the submission is submitted.")
    elif not body or len(body) > COMMENT_MAX:
        messages.error(request, f"Not sent: a comment holds 1 to {COMMENT_MAX} characters.")
    else:
        ReviewComment.objects.create(submission=submission, author=request.user, body=body)
        messages.success(request, "Your comment was added.")
    return redirect(submission.get_absolute_url() + "#review")
