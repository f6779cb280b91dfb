"""The reviewers' pages: the queue of submissions, one submission's diff, results and decision, its patch.

Staff only (anyone else logged in gets a 404, a visitor the log-in page), never cached, every change
a POST with a CSRF token. What a contributor wrote reaches the templates as text, escaped there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from catalog.submissions.accept import accept, accept_refusal
from catalog.submissions.diffs import catalog_folder, folder_diff, submitted_folder
from catalog.submissions.drafts import patterns_dir
from catalog.submissions.folder import README
from catalog.submissions.models import Submission, SubmissionRun
from catalog.submissions.review import (
    COMMENT_MAX,
    QUEUE_STATES,
    Decision,
    ReviewRefused,
    age_text,
    comments_for,
    decide,
    queue_counts,
)
from catalog.submissions.review import queue as queue_of
from catalog.submissions.run_results import latest_run_of


class ReviewForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=COMMENT_MAX,
        required=False,
        help_text="The author reads it beside the decision. Needed to comment, request changes or reject.",
    )
    decision = forms.ChoiceField(
        label="Decision", choices=Decision.CHOICES, widget=forms.RadioSelect, initial=Decision.COMMENT
    )


def staff_only(view):
    """Logged-in staff only: a visitor is sent to log in, any other account finds nothing here."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404("the reviewers' pages are for reviewers")
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class QueueRow:
    submission: Submission
    age: str
    run_label: str  # the latest run's state in words, "" before any run


@never_cache
@staff_only
@require_GET
def queue(request):
    """Submissions past their draft, the oldest submitted first; ?state= keeps one label."""
    labels = dict(Submission.State.choices)
    state = request.GET.get("state", "")
    state = state if state in QUEUE_STATES else ""
    now = timezone.now()
    run_labels = dict(SubmissionRun.State.choices)
    rows = [
        QueueRow(row, age_text(row.submitted_at, now), run_labels.get(row.latest_run_state, ""))
        for row in queue_of(state)
    ]
    counts = queue_counts()
    filters = [(value, labels[value], counts[value]) for value in QUEUE_STATES]
    context = {
        "rows": rows,
        "state": state,
        "state_label": labels.get(state, ""),
        "filters": filters,
        "total": sum(counts.values()),
    }
    return render(request, "review/queue.html", context)


@never_cache
@staff_only
@require_http_methods(["GET", "POST"])
def detail(request, pk):
    submission = get_object_or_404(
        Submission.objects.select_related("author").prefetch_related("files"), pk=pk
    )
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            said = take_decision(submission, request.user, form.cleaned_data)
        except ReviewRefused as refused:
            form.add_error(None, f"Nothing was changed: {refused}.")
            status = 409
        else:
            messages.success(request, said)
            return redirect("review:detail", pk=submission.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "review/detail.html", review_context(submission, form), status=status)


def take_decision(submission: Submission, reviewer, data: dict) -> str:
    """The decision taken; what to tell the reviewer. ReviewRefused when it cannot be taken."""
    if data["decision"] == Decision.ACCEPT:
        accepted = accept(submission, reviewer, data["body"])
        return (
            f"Accepted: written to patterns/{submission.slug}/, loaded into the catalog, and "
            f"{accepted.verifications} example verification(s) asked for on the main engine."
        )
    decide(submission, reviewer, data["decision"], data["body"])
    if data["decision"] == Decision.COMMENT:
        return "Comment added."
    return f"{submission.get_state_display()}: the author is told on their submission's page."


def review_context(submission: Submission, form: ReviewForm) -> dict:
    latest = latest_run_of(submission)
    run = latest.run
    current = catalog_folder(patterns_dir(), submission.slug)
    submitted = submitted_folder(submission)
    diffs = folder_diff(current.files, submitted)
    return {
        "submission": submission,
        "form": form,
        "run": run,
        "run_results": latest.results,
        "run_is_current": latest.current,
        "catalog_moved": (
            submission.kind == Submission.Kind.CHANGE
            and submission.state != Submission.State.ACCEPTED  # then the catalog holds these very files
            and current.digest != submission.base_hash
        ),
        "changed": [diff for diff in diffs if diff.status != "unchanged"],
        "unchanged": [diff.path for diff in diffs if diff.status == "unchanged"],
        "listing": [
            {"path": path, "size": len(content.encode()), "executable": executable}
            for path, (content, executable) in submitted.items()
        ],
        "readme": README,
        "comments": comments_for(submission),
        "accept_refusal": accept_refusal(submission, run, in_catalog=bool(current.files)),
    }


@never_cache
@login_required
@require_GET
def patch(request, pk):
    """The accepted change as a `git am` mail: for reviewers and for its author."""
    submission = get_object_or_404(Submission, pk=pk)
    if not (request.user.is_staff or submission.author_id == request.user.pk) or not submission.patch:
        raise Http404("no patch here")
    response = HttpResponse(submission.patch, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{submission.slug}.patch"'
    return response
