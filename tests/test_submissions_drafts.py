"""A contributor's draft: started new or from a pattern, saved as typed, checked by the catalog's own loader,
with every problem beside its field or file; only its author sees it, and every change needs a CSRF token."""

import html
import re

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.submissions.models import Submission
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase of words"


@pytest.fixture
def author():
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(get_user_model().objects.create_user("grace", password=PASSWORD))
    return browser


def post(browser: Client, url: str, data: dict, page: str | None = None, **extra):
    """Post as a browser does: with the token of the page the form is on."""
    text = browser.get(page or url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    return browser.post(url, {"csrfmiddlewaretoken": token, **data}, **extra)


def start(browser: Client, kind: str, slug: str):
    return post(browser, "/contribute/", {"kind": kind, "slug": slug})


def readme_form(**fields) -> dict:
    typed = {
        **factories.typed_readme("init-first", symbol="If"),
        "related": "",
        "order": "",
        "unverifiable": "",
        "body": factories.body(),
        "action": "save",
    }
    return {**typed, **fields}


def add_example(browser: Client, submission: Submission) -> None:
    url = f"/contribute/{submission.pk}/"
    files = factories.draft_example()
    for path, (content, executable) in files.items():
        data = {"path": path, "content": content, **({"executable": "on"} if executable else {})}
        assert post(browser, f"{url}files/", data, page=url).status_code == 302


def test_a_new_pattern_is_drafted_and_checks_clean_with_its_example(patterns_tree, author):
    response = start(author, "new", "init-first")
    submission = Submission.objects.get()
    assert response["Location"] == f"/contribute/{submission.pk}/"
    assert (submission.author.username, submission.kind, submission.state) == ("grace", "new", "draft")
    add_example(author, submission)
    saved = post(author, f"/contribute/{submission.pk}/", readme_form())
    assert saved.status_code == 302
    submission.refresh_from_db()
    assert submission.problems == [] and submission.checked_at is not None
    page = author.get(f"/contribute/{submission.pk}/").content.decode()
    assert "No problem:" in page and "examples/hello/hello.sh" in page and "(executable)" in page
    assert submission.files.get(path="examples/hello/hello.sh").executable


def test_what_is_typed_is_kept_and_each_problem_is_said_beside_its_field(patterns_tree, author):
    start(author, "new", "init-first")
    submission = Submission.objects.get()
    typed = readme_form(symbol="x", related="[{pattern: nowhere, relation: uses}", body="No sections.")
    assert post(author, f"/contribute/{submission.pk}/", typed).status_code == 302
    submission.refresh_from_db()
    assert submission.fields["related"] == "[{pattern: nowhere, relation: uses}"  # nothing lost
    assert submission.fields["symbol"] == "x" and submission.body == "No sections."
    by_field = {(file, field): message for file, field, message in submission.problems}
    assert "'x' is not 2-3 letters" in by_field[("README.md", "symbol")]
    assert ("README.md", "related") in by_field  # its YAML does not parse: said beside it
    assert "expected the sections" in by_field[("README.md", "body")]
    page = author.get(f"/contribute/{submission.pk}/").content.decode()
    assert 'id="problems-symbol"' in page and 'id="problems-body"' in page
    assert "[{pattern: nowhere, relation: uses}</textarea>" in page  # shown again as typed


def test_a_relation_to_a_pattern_the_catalog_lacks_and_a_taken_symbol_are_found(patterns_tree, author):
    start(author, "new", "init-first")
    submission = Submission.objects.get()
    add_example(author, submission)
    taken = yaml.safe_load((patterns_tree / "pattern-0" / "README.md").read_text().split("---")[1])["symbol"]
    post(
        author,
        f"/contribute/{submission.pk}/",
        readme_form(symbol=taken, related="[{pattern: nowhere, relation: uses}]"),
    )
    submission.refresh_from_db()
    messages = {(field, message) for _, field, message in submission.problems}
    assert ("symbol", f"{taken!r} is already used by pattern-0") in messages
    assert ("related[0].pattern", "no pattern folder named 'nowhere'") in messages


def test_a_change_starts_from_the_catalogs_pattern(patterns_tree, author):
    start(author, "change", "pattern-1")
    submission = Submission.objects.get()
    assert submission.kind == "change" and submission.fields["name"] == "Pattern number 1"
    assert {file.path for file in submission.files.all()} == {
        "examples/hello/Dockerfile", "examples/hello/hello.sh", "examples/hello/example.yaml",
        "examples/hello/mutant/mutant.yaml", "examples/hello/mutant/hello.sh",
    }  # fmt: skip
    assert len(submission.base_hash) == 64
    assert author.post(f"/contribute/{submission.pk}/check/").status_code == 403  # no CSRF token
    post(author, f"/contribute/{submission.pk}/check/", {}, page=f"/contribute/{submission.pk}/")
    submission.refresh_from_db()
    assert submission.problems == []  # the catalog's own pattern checks clean


@pytest.mark.parametrize(
    ("kind", "slug", "said"),
    [
        ("new", "pattern-0", "the catalog has a pattern 'pattern-0' already"),
        ("change", "nowhere", "the catalog has no pattern 'nowhere' to change"),
        ("new", "../etc", "lower-case words joined by '-'"),
        ("new", "Bad Name", "lower-case words joined by '-'"),
    ],
)
def test_a_draft_that_cannot_start_says_why(patterns_tree, author, kind, slug, said):
    page = start(author, kind, slug)
    assert page.status_code == 200 and said in html.unescape(page.content.decode())
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("../../etc/passwd", "goes under examples/"),
        ("examples/hello/../../x", "not a plain path"),
        ("examples/hello/a b", "file names use letters"),
        ("README.md", "goes under examples/"),
        ("examples/Hello/Dockerfile", "goes under examples/"),
    ],
)
def test_a_file_outside_an_examples_folder_is_refused(patterns_tree, author, path, said):
    start(author, "new", "init-first")
    submission = Submission.objects.get()
    url = f"/contribute/{submission.pk}/"
    response = post(author, f"{url}files/", {"path": path, "content": "x"}, page=url, follow=True)
    assert said in html.unescape(response.content.decode()) and not submission.files.exists()


def test_the_preview_renders_the_markdown_sanitised(patterns_tree, author):
    start(author, "new", "init-first")
    submission = Submission.objects.get()
    body = "## Problem\n\n<script>alert(1)</script> **bold** <img src=x onerror=alert(2)>\n"
    page = post(
        author, f"/contribute/{submission.pk}/", readme_form(body=body, action="preview")
    ).content.decode()
    preview = page.split('class="submission-preview prose"', 1)[1].split("</article>", 1)[0]
    assert "<strong>bold</strong>" in preview
    assert "<script" not in preview and "onerror" not in preview
    submission.refresh_from_db()
    assert submission.body == body  # previewing saves too


def test_a_draft_is_its_authors_alone(patterns_tree, author, client):
    start(author, "new", "init-first")
    submission = Submission.objects.get()
    url = f"/contribute/{submission.pk}/"
    assert client.get(url).status_code == 302  # not logged in: to the log-in page
    other = Client()
    other.force_login(get_user_model().objects.create_user("mallory", password=PASSWORD))
    assert other.get(url).status_code == 404
    assert other.post(f"{url}files/", {"path": "examples/x/y", "content": "z"}).status_code == 404
    assert "init-first" not in other.get("/contribute/mine/").content.decode()
    assert "init-first" in author.get("/contribute/mine/").content.decode()


def test_the_start_page_asks_a_visitor_to_log_in(client, patterns_tree):
    page = client.get("/contribute/").content.decode()
    assert 'Log in</a> or <a href="/accounts/signup/">sign up</a>' in page
    assert client.post("/contribute/", {"kind": "new", "slug": "x"}).status_code == 302
    assert not Submission.objects.exists()


def test_a_pattern_added_to_the_catalog_after_a_check_is_seen_by_the_next(patterns_tree, author):
    start(author, "new", "init-first")
    submission = Submission.objects.get()
    add_example(author, submission)
    url = f"/contribute/{submission.pk}/"
    post(author, url, readme_form(related="[{pattern: later, relation: uses}]"))
    submission.refresh_from_db()
    assert ["README.md", "related[0].pattern", "no pattern folder named 'later'"] in submission.problems
    factories.write_pattern(
        patterns_tree, "later", symbol="Lt"
    )  # the catalog's tree changes between two checks
    post(author, f"{url}check/", {}, page=url)
    submission.refresh_from_db()
    assert submission.problems == []
