"""The reviewers' side: create_reviewer, the queue, a submission's diff and sandbox results, comments and
decisions, and accepting, which writes the folder into the catalog, keeps a patch that git applies, syncs
and verifies the pattern as curated, and puts the previous folder back when the catalog does not load."""

import html
import io
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from catalog.accounts.reviewers import create_reviewer
from catalog.management.commands.create_reviewer import Command as CreateReviewer
from catalog.models import Example, Pattern
from catalog.submissions.diffs import folder_diff
from catalog.submissions.drafts import check_and_keep, start_draft
from catalog.submissions.models import ReviewComment, Submission, SubmissionFile, SubmissionRun
from catalog.submissions.patches import PatchMail, format_patch
from catalog.submissions.review import comments_for
from catalog.submissions.submit import submitted_digest
from catalog.verifications.models import Verification
from tests import factories
from worker.contract.analysis import AnalysisSummary, LintFinding, LintReport
from worker.contract.reasons import FailureReason, Outcome
from worker.contract.report import SCHEMA_VERSION, VerificationReport
from worker.contract.results import Check, ImageFacts

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase of words"
State = Submission.State
EXAMPLE_FILES = {
    "examples/hello/Dockerfile": (factories.DOCKERFILE, False),
    "examples/hello/hello.sh": (factories.SCRIPT, True),
    "examples/hello/example.yaml": (yaml.safe_dump(factories.scenario()), False),
    "examples/hello/mutant/mutant.yaml": (yaml.safe_dump({"undoes": "It no longer says hello."}), False),
    "examples/hello/mutant/hello.sh": ("#!/bin/sh\necho goodbye\n", True),
}


@pytest.fixture
def author():
    return get_user_model().objects.create_user("grace", password=PASSWORD, first_name="Grace")


@pytest.fixture
def reviewer():
    """A reviewer's browser: the account made as create_reviewer makes it, CSRF checked as in production."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(create_reviewer("rita", PASSWORD))
    return browser


def post(browser: Client, url: str, data: dict, **extra):
    """Post as a browser does: with the token of the page the form is on."""
    text = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    return browser.post(url, {"csrfmiddlewaretoken": token, **data}, **extra)


def report_json(passed: bool = True) -> dict:
    """A sandbox example's report as the worker stores it: a check, an image, its analysis with lint."""
    facts = ImageFacts(
        name="app", id="sha256:" + "1" * 64, tag="submission-app", size=1_234_567, layers=3, history=(),
        base_ref="busybox:1.35", base_id="sha256:" + "2" * 64, base_size=1_200_000, own_size=34_567,
        base_matched=True,
    )  # fmt: skip
    lint = LintReport(
        True, findings=(LintFinding("DL3007", "warning", 1, "Using latest is prone to errors"),)
    )
    return VerificationReport(
        outcome=Outcome.PASSED if passed else Outcome.FAILED,
        failure_reason=FailureReason.NONE if passed else FailureReason.CHECK_FAILED,
        detail="",
        checks=(Check(0, "run", "output contains", "hello", "hello from the example", True),),
        images={"app": facts},
        analysis={"app": AnalysisSummary(efficiency=0.987, reclaimable_bytes=2048, lint=lint)},
        schema_version=SCHEMA_VERSION,
    ).to_json()


def result_entry(passed: bool = True) -> dict:
    """One example's entry of SubmissionRun.results, shaped as worker/submission_run.py writes it."""
    return {
        "example": "hello",
        "title": "Says hello",
        "outcome": "passed" if passed else "failed",
        "reason": "" if passed else "CHECK_FAILED",
        "detail": "",
        "duration": 3.2,
        "report": report_json(passed),
        "mutant": {
            "undoes": "It no longer says hello.",
            "changed": ["hello.sh"],
            "killed": True,
            "why": "the check 'output contains' failed: it printed goodbye",
            "outcome": "failed",
            "reason": "CHECK_FAILED",
            "duration": 2.1,
        },
        "passed": passed,
    }


def typed_fields(slug: str, **overrides) -> dict[str, str]:
    meta = factories.front_matter(slug, **overrides)
    return {
        "name": meta["name"],
        "symbol": meta["symbol"],
        "categories": yaml.safe_dump(meta["categories"]).strip(),
        "kind": meta["kind"],
        "summary": meta["summary"],
        "sources": yaml.safe_dump(meta["sources"]).strip(),
    }


def submission_of(author, kind="new", slug="init-first", *, state=State.AWAITING_REVIEW, age=None, edit=None):
    """A submission that checks clean, submitted `age` ago, with a passed run of its files as they are."""
    submission = start_draft(author, kind, slug)
    if kind == "new":
        submission.fields = typed_fields(slug, symbol="If", name="Init first")
        submission.body = factories.body()
        SubmissionFile.objects.bulk_create(
            SubmissionFile(submission=submission, path=path, content=content, executable=executable)
            for path, (content, executable) in EXAMPLE_FILES.items()
        )
    if edit:
        edit(submission)
    assert check_and_keep(submission).problems == ()
    submission.state = state
    submission.submitted_at = timezone.now() - (age or timedelta(minutes=5))
    submission.save()
    SubmissionRun.objects.create(
        submission=submission,
        state=SubmissionRun.State.PASSED,
        digest=submitted_digest(submission),
        results=[result_entry()],
        detail="Every example passed its checks in the sandbox and every mutant failed them (1).",
        finished_at=timezone.now(),
    )
    return submission


def folder_files(folder: Path) -> dict[str, tuple[str, bool]]:
    return {
        path.relative_to(folder).as_posix(): (
            path.read_bytes().decode(),
            bool(path.stat().st_mode & 0o100),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Catalog",
        "GIT_AUTHOR_EMAIL": "catalog@example.invalid",
        "GIT_COMMITTER_NAME": "Catalog",
        "GIT_COMMITTER_EMAIL": "catalog@example.invalid",
    }
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, input=stdin, capture_output=True, text=True, check=True
    )


def applied(
    tmp_path: Path, slug: str, previous: dict[str, tuple[str, bool]] | None, patch: str, *am_options: str
) -> Path:
    """A repository holding patterns/<slug> as it was (or nothing), the patch applied with `git am`."""
    repo = tmp_path / "repo"
    folder = repo / "patterns" / slug
    folder.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("The catalog.\n")
    for path, (content, executable) in (previous or {}).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(content, newline="")
        (folder / path).chmod(0o755 if executable else 0o644)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "The catalog before")
    git(repo, "apply", "--check", "-", stdin=patch)
    git(repo, "am", "-q", *am_options, stdin=patch)
    return folder


# create_reviewer


def test_create_reviewer_makes_a_staff_account_with_the_password_rules(monkeypatch, client):
    monkeypatch.setenv("REVIEWER_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("create_reviewer", "rita", stdout=out)
    assert "created reviewer 'rita'" in out.getvalue()
    assert get_user_model().objects.get(username="rita").is_staff
    assert client.login(username="rita", password=PASSWORD)
    monkeypatch.setenv("ANOTHER", "rita")
    with pytest.raises(CommandError, match="too similar to the username"):
        call_command("create_reviewer", "rita2", "--password-from-env", "ANOTHER")
    monkeypatch.delenv("REVIEWER_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="set REVIEWER_PASSWORD"):
        call_command("create_reviewer", "rita3")
    assert not get_user_model().objects.filter(username__in=["rita2", "rita3"]).exists()


def test_create_reviewer_makes_an_existing_account_staff_and_keeps_its_password(author, client):
    out = io.StringIO()
    call_command("create_reviewer", "grace", stdout=out)  # no password asked for
    assert "existed: it is now a reviewer (staff); its password is unchanged" in out.getvalue()
    author.refresh_from_db()
    assert author.is_staff and client.login(username="grace", password=PASSWORD)
    call_command("create_reviewer", "grace", stdout=out)
    assert "was a reviewer (staff) already" in out.getvalue()
    documented = CreateReviewer().create_parser("manage.py", "create_reviewer").format_help()
    assert "--password-from-env" in documented and "made staff" in documented


# The queue


def test_the_queue_lists_submissions_past_their_draft_oldest_first(patterns_tree, author, reviewer):
    hours = submission_of(author, "change", "pattern-1", age=timedelta(hours=3, minutes=10))
    days = submission_of(author, "new", "init-first", age=timedelta(days=2), state=State.AWAITING_AUTHOR)
    start_draft(author, "new", "still-a-draft")
    page = reviewer.get("/review/").content.decode()
    assert page.index("init-first") < page.index("pattern-1")  # the oldest submitted first
    assert "still-a-draft" not in page
    assert html.unescape(page).replace("\xa0", " ").count("3 hours ago") == 1
    assert f'<time datetime="{hours.submitted_at.isoformat()}"' in page
    assert "2 days ago" in html.unescape(page).replace("\xa0", " ")
    assert "grace" in page and "A change to a pattern" in page and "A new pattern" in page
    assert 'class="status status--passed">Passed</span>' in page
    assert f'href="/review/{days.pk}/"' in page and "Awaiting author" in page

    waiting = reviewer.get("/review/", {"state": "awaiting-review"}).content.decode()
    assert "pattern-1" in waiting and "init-first" not in waiting
    assert 'href="/review/?state=awaiting-review" aria-current="true"' in waiting
    assert 'Awaiting review <span class="review-count">(1)</span>' in waiting
    assert "init-first" in reviewer.get("/review/", {"state": "nonsense"}).content.decode()


def test_the_queue_is_read_in_a_fixed_number_of_queries(
    patterns_tree, author, reviewer, django_assert_num_queries
):
    submission_of(author, "change", "pattern-1")
    reviewer.get("/review/")
    # The session, the user, the rows, the counts per label, and the base page's setup notice.
    with django_assert_num_queries(5) as counted:
        reviewer.get("/review/")
    submission_of(author, "change", "pattern-0")
    with django_assert_num_queries(len(counted.captured_queries)):
        reviewer.get("/review/")


def test_the_reviewers_pages_are_for_staff_only(patterns_tree, author, client):
    submission = submission_of(author)
    for url in ("/review/", f"/review/{submission.pk}/"):
        assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    member = Client()
    member.force_login(author)  # the author, not staff
    assert member.get("/review/").status_code == 404
    assert member.get(f"/review/{submission.pk}/").status_code == 404
    assert member.post(f"/review/{submission.pk}/", {"decision": "accept"}).status_code == 404
    assert Submission.objects.get().state == State.AWAITING_REVIEW


# The review page


def test_a_change_is_shown_as_a_diff_per_file_against_the_catalog(patterns_tree, author, reviewer):
    def edit(submission):
        submission.fields["summary"] = "A better summary."
        script = submission.files.get(path="examples/hello/hello.sh")
        script.content = "#!/bin/sh\necho hello from the changed example\n"
        script.save()

    submission = submission_of(author, "change", "pattern-1", edit=edit)
    page = reviewer.get(f"/review/{submission.pk}/").content.decode()
    assert '<span class="review-diff__line review-diff__line--remove">-summary: Summary of pattern-1.' in page
    assert '<span class="review-diff__line review-diff__line--add">+summary: A better summary.' in page
    assert 'review-diff__line--add">+echo hello from the changed example</span>' in page
    assert 'review-diff__line--remove">-echo hello from the example</span>' in page
    assert 'review-diff__line--hunk">@@ -1,2 +1,2 @@</span>' in page
    assert "Unchanged: <code>examples/hello/Dockerfile</code>" in page
    assert "The catalog moved since this draft began" not in page

    (patterns_tree / "pattern-1" / "examples" / "hello" / "Dockerfile").write_text(
        factories.DOCKERFILE + "# moved\n"
    )
    moved = reviewer.get(f"/review/{submission.pk}/").content.decode()
    assert "The catalog moved since this draft began" in moved


def test_a_new_pattern_is_diffed_against_nothing(patterns_tree, author, reviewer):
    submission = submission_of(author)
    page = reviewer.get(f"/review/{submission.pk}/").content.decode()
    assert page.count('review-file__status--added">added</span>') == 1 + len(EXAMPLE_FILES)
    assert 'review-diff__line--hunk">@@ -0,0 +1,2 @@</span>' in page  # hello.sh, whole
    assert "review-diff__line--remove" not in page
    listing = page.split('id="listing-title"', 1)[1].split("</table>", 1)[0]
    size = len(factories.SCRIPT.encode())
    assert f"<code>examples/hello/hello.sh</code></th><td>{size}</td><td>yes</td>" in listing
    assert "<code>examples/hello/Dockerfile</code></th>" in listing and "<code>README.md</code>" in listing


def test_the_runs_results_are_shown_with_checks_images_lint_and_the_mutant(patterns_tree, author, reviewer):
    submission = submission_of(author)
    page = html.unescape(reviewer.get(f"/review/{submission.pk}/").content.decode())
    assert "Its digest equals the submitted files" in page and "Stale results" not in page
    assert "output contains</th>" not in page  # the check's name leads its row, with its step
    assert re.search(r"output contains <span[^>]*>\(step 1, run\)</span></th><td>hello</td>", page)
    assert "<td>hello from the example</td><td>passed</td>" in page
    assert '<th scope="row">app</th><td>1.23 MB</td><td>3</td><td>98.7%</td><td>2.05 kB</td>' in page
    assert "<code>DL3007</code></th><td>app</td><td>1</td><td>warning</td>" in page
    assert "Using latest is prone to errors" in page
    assert "<strong>killed</strong>" in page and "it printed goodbye" in page
    assert "It no longer says hello." in page

    SubmissionFile.objects.filter(submission=submission, path="examples/hello/hello.sh").update(content="x")
    stale = reviewer.get(f"/review/{submission.pk}/").content.decode()
    assert "Stale results:" in stale


def test_the_review_page_is_read_in_a_fixed_number_of_queries(
    patterns_tree, author, reviewer, django_assert_num_queries
):
    submission = submission_of(author)
    url = f"/review/{submission.pk}/"
    reviewer.get(url)
    with django_assert_num_queries(7) as counted:
        reviewer.get(url)
    ReviewComment.objects.create(submission=submission, author=author, body="one")
    SubmissionFile.objects.create(submission=submission, path="examples/hello/NOTES", content="more")
    with django_assert_num_queries(len(counted.captured_queries)):
        reviewer.get(url)


def test_what_a_contributor_wrote_is_shown_escaped(patterns_tree, author, reviewer):
    submission = submission_of(author)
    SubmissionFile.objects.create(
        submission=submission, path="examples/hello/<script>x</script>", content="<script>alert(1)</script>\n"
    )
    Submission.objects.filter(pk=submission.pk).update(fields={**submission.fields, "name": "<b>Bold</b>"})
    ReviewComment.objects.create(submission=submission, author=author, body="<img src=x onerror=alert(2)>")
    page = reviewer.get(f"/review/{submission.pk}/").content.decode()
    assert "<script>alert" not in page and "<script>x" not in page and "<b>Bold" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "examples/hello/&lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page


# Comments and decisions


def test_every_change_needs_a_csrf_token(patterns_tree, author, reviewer):
    submission = submission_of(author)
    for decision in ("comment", "reject", "accept"):
        response = reviewer.post(f"/review/{submission.pk}/", {"decision": decision, "body": "no token"})
        assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.state == State.AWAITING_REVIEW and not submission.comments.exists()
    assert not (patterns_tree / "init-first").exists()


def test_a_comment_only_is_kept_and_leaves_the_label(patterns_tree, author, reviewer):
    submission = submission_of(author)
    url = f"/review/{submission.pk}/"
    empty = post(reviewer, url, {"decision": "comment", "body": "  "})
    assert empty.status_code == 409 and "say why in the comment" in empty.content.decode()
    assert post(reviewer, url, {"decision": "comment", "body": "Looks good so far."}).status_code == 302
    submission.refresh_from_db()
    assert submission.state == State.AWAITING_REVIEW
    [comment] = comments_for(submission)
    assert (comment.author, comment.reviewer, comment.body, comment.decision) == (
        "rita",
        True,
        "Looks good so far.",
        "",
    )


def test_requesting_changes_needs_a_comment_and_gives_the_draft_back_to_its_author(
    patterns_tree, author, reviewer
):
    submission = submission_of(author)
    url = f"/review/{submission.pk}/"
    refused = post(reviewer, url, {"decision": "request-changes", "body": ""})
    assert refused.status_code == 409 and "Nothing was changed: say why" in html.unescape(
        refused.content.decode()
    )
    response = post(
        reviewer, url, {"decision": "request-changes", "body": "Say when not to use it.\nThanks."}
    )
    assert response.status_code == 302 and response["Location"] == url
    submission.refresh_from_db()
    assert submission.state == State.CHANGES_REQUESTED and submission.editable
    assert submission.decided_by.username == "rita" and submission.decided_at is not None
    [comment] = comments_for(submission)
    assert (comment.decision, comment.decision_label) == ("changes-requested", "Changes requested")

    shown = render_to_string(
        "submissions/review_comments.html", {"submission": submission, "comments": comments_for(submission)}
    )
    assert "<strong>Changes requested:</strong> the draft can be edited again" in shown
    assert (
        "<p>Say when not to use it.<br>Thanks.</p>" in shown and "<strong>rita</strong> (reviewer)" in shown
    )
    assert "Changes requested" in reviewer.get(url).content.decode()


def test_rejecting_needs_a_comment_and_is_final(patterns_tree, author, reviewer):
    submission = submission_of(author)
    url = f"/review/{submission.pk}/"
    assert post(reviewer, url, {"decision": "reject", "body": ""}).status_code == 409
    assert post(reviewer, url, {"decision": "reject", "body": "Not a pattern."}).status_code == 302
    submission.refresh_from_db()
    assert submission.state == State.REJECTED and not submission.editable
    again = post(reviewer, url, {"decision": "request-changes", "body": "Try again?"})
    assert "it is rejected: it cannot be moved to changes requested" in html.unescape(again.content.decode())
    refused = post(reviewer, url, {"decision": "accept", "body": ""})
    assert "only a submission awaiting review can be accepted" in html.unescape(refused.content.decode())
    assert [comment.decision for comment in comments_for(submission)] == ["rejected"]


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        ("stale", "its files changed after its latest run in the sandbox"),
        ("failed", "its latest run in the sandbox did not pass"),
        ("author's turn", "it is awaiting author: only a submission awaiting review can be accepted"),
    ],
)
def test_accepting_is_refused_unless_a_passed_run_proved_the_files_as_they_are(
    patterns_tree, author, reviewer, spoil, said
):
    submission = submission_of(author)
    if spoil == "stale":
        submission.files.filter(path="examples/hello/hello.sh").update(content="#!/bin/sh\necho hello\n")
    elif spoil == "failed":
        submission.runs.update(state=SubmissionRun.State.FAILED, results=[result_entry(passed=False)])
    else:
        Submission.objects.filter(pk=submission.pk).update(state=State.AWAITING_AUTHOR)
    url = f"/review/{submission.pk}/"
    assert said in html.unescape(reviewer.get(url).content.decode())  # said before trying, too
    response = post(reviewer, url, {"decision": "accept", "body": ""})
    assert response.status_code == 409 and said in html.unescape(response.content.decode())
    submission.refresh_from_db()
    assert submission.state != State.ACCEPTED and submission.patch == ""
    assert not (patterns_tree / "init-first").exists() and not Pattern.objects.exists()


# Accepting


def test_accepting_a_new_pattern_writes_it_syncs_it_and_verifies_it_as_curated(
    patterns_tree, tmp_path, author, reviewer, django_capture_on_commit_callbacks
):
    submission = submission_of(author)
    url = f"/review/{submission.pk}/"
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(reviewer, url, {"decision": "accept", "body": "Welcome."}, follow=True)
    assert "Accepted: written to patterns/init-first/, loaded into the catalog" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == State.ACCEPTED and submission.decided_by.username == "rita"

    written = folder_files(patterns_tree / "init-first")
    readme = written.pop("README.md")
    assert written == EXAMPLE_FILES
    assert "name: Init first" in readme[0] and not readme[1]
    assert not [path for path in patterns_tree.iterdir() if path.name.startswith(".")]  # nothing left aside

    pattern = Pattern.objects.get(slug="init-first")
    examples = Example.objects.filter(pattern=pattern)
    assert pattern.published and [example.slug for example in examples] == ["hello"]
    verifications = Verification.objects.filter(example__in=examples)
    assert [(v.trust, v.example_hash) for v in verifications] == [("curated", examples[0].content_hash)]
    assert len(callbacks) >= 1  # the worker's wake-up leaves after the commit

    patch = submission.patch
    assert patch.startswith("From ") and " Mon Sep 17 00:00:00 2001\n" in patch.splitlines()[0] + "\n"
    assert "From: Grace <grace@contributors.invalid>\n" in patch
    assert "Subject: [PATCH] Add pattern init-first: Init first\n" in patch and patch.endswith("-- \n")
    assert "diff --git a/patterns/init-first/examples/hello/hello.sh b/" in patch
    assert "new file mode 100755\n" in patch and "new file mode 100644\n" in patch
    assert folder_files(applied(tmp_path, "init-first", None, patch)) == folder_files(
        patterns_tree / "init-first"
    )

    download = reviewer.get(f"/review/{submission.pk}/patch")
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="init-first.patch"'
    assert download.content.decode() == patch
    own = Client()
    own.force_login(author)
    assert own.get(f"/review/{submission.pk}/patch").status_code == 200  # its author too
    other = Client()
    other.force_login(get_user_model().objects.create_user("mallory", password=PASSWORD))
    assert other.get(f"/review/{submission.pk}/patch").status_code == 404
    after = reviewer.get(url).content.decode()
    assert "folder holds these files now" in after and "Welcome." in after
    shown = render_to_string(
        "submissions/review_comments.html", {"submission": submission, "comments": comments_for(submission)}
    )
    assert "<strong>Accepted</strong>" in shown and f'href="/review/{submission.pk}/patch"' in shown


def test_accepting_a_change_replaces_the_folder_and_its_patch_applies_to_the_previous_one(
    patterns_tree, tmp_path, author, reviewer
):
    hello = patterns_tree / "pattern-1" / "examples" / "hello"
    (hello / "old-notes.txt").write_text("removed by the change\n")
    (hello / "run.txt").write_text("made executable by the change, no newline at its end")
    previous = folder_files(patterns_tree / "pattern-1")

    def edit(submission):
        submission.fields["summary"] = "A better summary."
        submission.files.filter(path="examples/hello/old-notes.txt").delete()
        submission.files.filter(path="examples/hello/run.txt").update(executable=True)
        submission.files.create(path="examples/hello/NOTES", content="added\nwithout a last newline")
        submission.files.filter(path="examples/hello/hello.sh").update(
            content="#!/bin/sh\necho hello from the changed example\n"
        )

    submission = submission_of(author, "change", "pattern-1", edit=edit)
    page = reviewer.get(f"/review/{submission.pk}/").content.decode()
    assert 'review-diff__line--add">+without a last newline</span>' in page
    assert 'review-diff__line--note">\\ No newline at end of file</span>' in page
    assert 'review-file__status--removed">removed</span>' in page and "Now executable." in page
    assert post(reviewer, f"/review/{submission.pk}/", {"decision": "accept"}).status_code == 302
    submission.refresh_from_db()
    written = folder_files(patterns_tree / "pattern-1")
    assert "examples/hello/old-notes.txt" not in written and written["examples/hello/run.txt"][1]
    assert written["examples/hello/NOTES"] == ("added\nwithout a last newline", False)
    assert "summary: A better summary." in written["README.md"][0]

    patch = submission.patch
    assert "Subject: [PATCH] Change pattern pattern-1: Pattern number 1\n" in patch
    assert "deleted file mode 100644\n" in patch and "old mode 100644\nnew mode 100755\n" in patch
    assert "\\ No newline at end of file\n" in patch
    assert folder_files(applied(tmp_path, "pattern-1", previous, patch)) == written
    assert Pattern.objects.get(slug="pattern-1").summary == "A better summary."
    assert Verification.objects.filter(example__pattern__slug="pattern-1", trust="curated").count() == 1


def test_when_the_catalog_does_not_load_with_it_the_previous_folder_is_put_back(
    patterns_tree, author, reviewer
):
    submission = submission_of(
        author, "change", "pattern-1", edit=lambda s: s.fields.update(summary="A better summary.")
    )
    before = folder_files(patterns_tree / "pattern-1")
    # Meanwhile another pattern takes the symbol the change keeps: the catalog's sync refuses the tree.
    symbol = submission.fields["symbol"]
    factories.write_pattern(patterns_tree, "latecomer", symbol=symbol, name="Latecomer")
    response = post(reviewer, f"/review/{submission.pk}/", {"decision": "accept", "body": "Yes."})
    said = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert "the catalog does not load with it, so its folder was put back as it was" in said
    assert f"{symbol!r} is already used by" in said
    assert folder_files(patterns_tree / "pattern-1") == before
    assert not [path for path in patterns_tree.iterdir() if path.name.startswith(".")]
    submission.refresh_from_db()
    assert submission.state == State.AWAITING_REVIEW and submission.patch == ""
    assert not submission.comments.exists() and not Pattern.objects.exists()
    assert not Verification.objects.exists()


def test_a_patch_with_crlf_lines_and_words_beyond_ascii_applies_as_written(tmp_path):
    """Text typed in a browser's form ends its lines in CRLF; names may be any language's."""
    before = {"README.md": ("---\nname: Old\n---\r\nBody\r\n", False), "examples/a/x.txt": ("x\n", False)}
    after = {"README.md": ("---\nname: Zoë's\n---\r\nBody\r\nMore\r\n", False), "examples/a/y": ("y\r", True)}
    mail = PatchMail("Zoë <Ünïcode>", "zoë@home", timezone.now(), "Change pattern p: Zoë's", "A change.")
    patch = format_patch(mail, folder_diff(before, after), "patterns/p/")
    assert "From: =?utf-8?" in patch and "-home@contributors.invalid>\n" in patch
    assert "apply with `git am --keep-cr`" in patch
    folder = applied(tmp_path, "p", before, patch, "--keep-cr")
    assert folder_files(folder) == after
    log = git(folder, "log", "-1", "--format=%an|%s|%b").stdout
    assert log == "Zoë Ünïcode|Change pattern p: Zoë's|A change.\n\n"


def test_the_author_reads_the_review_on_their_page_and_answers_it(patterns_tree, author, reviewer):
    submission = submission_of(author)
    url = f"/review/{submission.pk}/"
    post(reviewer, url, {"decision": "request-changes", "body": "Name <b>when</b> not to use it."})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(author)
    own = f"/contribute/{submission.pk}/"
    page = browser.get(own).content.decode()
    assert (
        "<strong>Changes requested:</strong>" in page
        and "Name &lt;b&gt;when&lt;/b&gt; not to use it." in page
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        f"{own}reply/", {"csrfmiddlewaretoken": token, "body": "Done: see the new section."}
    )
    assert response.status_code == 302
    [_, answer] = comments_for(submission)
    assert (answer.author, answer.reviewer, answer.decision) == ("grace", False, "")
    assert "Done: see the new section." in reviewer.get(url).content.decode()
    assert browser.post(f"{own}reply/", {"csrfmiddlewaretoken": token, "body": " "}).status_code == 302
    assert len(comments_for(submission)) == 2  # an empty comment is not added
    assert Client().post(f"{own}reply/", {"body": "no token"}).status_code == 302  # to the log-in page
