"""Every page family of the site, and one database that holds what each needs, for the browser audits.

conftest's `site_pages` is module-scoped: the real catalog, an account of each role and their work are
made once, served by a live server of the module's own, and the database is emptied when the module is
done (as a transactional test leaves it). Its tests use no database fixture: they run in the SQLite pass.
"""

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import Client, modify_settings, override_settings
from django.test.utils import setup_databases, teardown_databases
from pytest_django.live_server_helper import LiveServer

from catalog.accounts.reviewers import create_reviewer
from catalog.models import Example, ImageLayers, Pattern, Workshop
from catalog.submissions.drafts import put_file, save_typed, start_draft
from catalog.workshops.check_rooms import CheckRoom
from catalog.workshops.models import WorkshopItem
from catalog.workshops.presentations import Presentation
from tests import factories
from tests.browser_site import Site, load_real_site
from tests.check_reports import report
from tests.test_layer_files import full_analysis
from tests.test_submissions_review import submission_of
from tests.verification_results import build_failed_result, finished, passed_result, running
from worker.contract.analysis import AnalysisSummary, LintFinding, LintReport
from worker.contract.codec import from_json, to_json
from worker.contract.report import VerificationReport
from worker.images.insight import summarise

PASSWORD = "a long enough password 42"
WORKSHOP = "dockerfiles-that-behave"  # a curated workshop (workshops/)
# The handout of the smaller curated workshop: the same template, and 7,000 elements for axe to look at
# rather than 42,000 (every highlighted token of every file is one), which take it 15 s a look.
SMALL_WORKSHOP = "composite-containers"
Prepare = Callable  # (playwright Page) -> None: brings the page to the state to look at


@dataclass(frozen=True)
class Page:
    path: str  # with {placeholders} of SitePages.places
    user: str = ""  # whose session: "" (nobody), "trainer", "author" or "reviewer"
    status: int = 200
    prepare: Prepare | None = None


def login_with_a_wrong_password(page) -> None:
    page.fill("#id_username", "ada-trainer")
    page.fill("#id_password", "not the password")
    with page.expect_navigation():
        page.click("main form.builder-form button[type=submit]")
    page.locator("main .errorlist").first.wait_for()  # the form came back with its errors shown


def signup_with_mismatched_passwords(page) -> None:
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "different")
    with page.expect_navigation():
        page.click("main form.builder-form button[type=submit]")
    page.locator("main .errorlist").first.wait_for()  # the form came back with its errors shown


def start_a_draft_with_a_bad_name(page) -> None:
    page.check("input[name=kind][value=new]")
    page.fill("#id_slug", "Not a name")
    with page.expect_navigation():
        page.click("main form.builder-form button[type=submit]")
    page.locator("main .errorlist").first.wait_for()  # the form came back with its errors shown


def open_a_folder_tree(page) -> None:
    """A layer's files opened in place, and their first folder."""
    layers = page.locator("details:has(a.layer-list__files)").first
    layers.evaluate("details => { details.open = true; }")
    files = page.locator("a.layer-list__files").first
    files.click()
    folder = page.locator("a.file-tree__folder").first
    folder.wait_for()
    folder.click()
    page.locator("[data-tree] [data-tree]").first.wait_for()


# One line per page family; a new page is one more line.
PAGES = {
    # The catalog
    "home": Page("/"),
    "home-filtered": Page("/?category=runtime&kind=pattern"),
    "pattern-verified": Page("/patterns/{verified}/"),
    "pattern-folder-tree": Page("/patterns/{verified}/", prepare=open_a_folder_tree),
    "pattern-running": Page("/patterns/{running}/"),
    "anti-pattern-failed": Page("/patterns/{anti_pattern}/"),
    "principle": Page("/patterns/{principle}/"),
    "platform": Page("/patterns/{platform}/"),
    "layer-files": Page("{layer_files}"),
    "verify-confirm": Page("{verify}"),
    "verify-refused": Page("{verify_refused}", status=409),
    "search": Page("/search/?q={search_term}"),
    "search-nothing": Page("/search/?q=zzqqxx"),
    "status": Page("/status/"),
    "relations": Page("/relations/"),
    "not-found": Page("/patterns/no-such-pattern/", status=404),
    "api": Page("/api/"),
    # Workshops: the public pages, presenting, readiness checks, the trainer's builder
    "workshops": Page("/workshops/"),
    "workshop": Page("/workshops/{workshop}/"),
    "workshop-own": Page("/workshops/{own}/", user="trainer"),
    "slides": Page("/workshops/{workshop}/slides/"),
    "handout": Page(f"/workshops/{SMALL_WORKSHOP}/handout/"),
    "kit": Page("/workshops/{workshop}/kit/"),
    "present-start": Page("/workshops/{workshop}/present/", user="trainer"),
    "presenter": Page("{presenter}", user="trainer"),
    "follow": Page("{follow}"),
    "check-open": Page("/workshops/{workshop}/readiness-check/", user="trainer"),
    "check-dashboard": Page("/my/readiness-checks/{room}/", user="trainer"),
    "check-join": Page("{join}"),
    "preflight-confirm": Page("/workshops/{own}/check-now/", user="trainer"),
    "freeze-confirm": Page("/workshops/{own}/freeze/", user="trainer"),
    "my-workshops": Page("/my/workshops/", user="trainer"),
    "builder-new": Page("/my/workshops/new/", user="trainer"),
    "builder-import": Page("/my/workshops/import/", user="trainer"),
    "builder-copy": Page("/my/workshops/copy/{workshop}/", user="trainer"),
    "builder-edit": Page("/my/workshops/{own}/", user="trainer"),
    "builder-add-item": Page("/my/workshops/{own}/items/new/", user="trainer"),
    "builder-edit-item": Page("/my/workshops/{own}/items/{item}/", user="trainer"),
    "builder-delete": Page("/my/workshops/{own}/delete/", user="trainer"),
    # Accounts
    "signup": Page("/accounts/signup/"),
    "signup-errors": Page("/accounts/signup/", prepare=signup_with_mismatched_passwords),
    "login": Page("/accounts/login/"),
    "login-errors": Page("/accounts/login/", prepare=login_with_a_wrong_password),
    # Contributions and their review
    "contribute": Page("/contribute/"),
    "contribute-start": Page("/contribute/", user="author"),
    "contribute-start-errors": Page("/contribute/", user="author", prepare=start_a_draft_with_a_bad_name),
    "my-submissions": Page("/contribute/mine/", user="author"),
    "draft-with-problems": Page("/contribute/{draft}/", user="author"),
    "submitted": Page("/contribute/{submitted}/", user="author"),
    "review-queue": Page("/review/", user="reviewer"),
    "review": Page("/review/{submitted}/", user="reviewer"),
}


@dataclass(frozen=True)
class SitePages:
    site: Site
    places: dict[str, str]  # the placeholders of PAGES' paths
    sessions: dict[str, str]  # a role's session cookie

    @property
    def url(self) -> str:
        return self.site.url

    def url_of(self, page: Page) -> str:
        return self.url + page.path.format(**self.places)

    def cookies(self, user: str) -> list[dict]:
        if not user:
            return []
        return [{"name": settings.SESSION_COOKIE_NAME, "value": self.sessions[user], "url": self.url}]


@contextmanager
def serve_site_pages(django_db_blocker) -> Iterator[SitePages]:
    """The rows made and served for a module (conftest's `site_pages`), the database emptied after."""
    with django_db_blocker.unblock(), test_database(), override_settings(CACHES=LOCAL_CACHE):
        try:
            with live_server() as url:
                yield make_site_pages(url)
        finally:
            call_command("flush", interactive=False, verbosity=0)


LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@contextmanager
def test_database() -> Iterator[None]:
    """pytest-django makes the test database only when a test of the session is marked for it: not so
    when these modules run alone. (Django names a test database by this private method only.)"""
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        yield
        return
    made = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})
    try:
        yield
    finally:
        teardown_databases(made, verbosity=0)


@contextmanager
def live_server() -> Iterator[str]:
    """pytest-django's server thread, started for the module (its fixture would flush after each test)."""
    server = LiveServer("localhost")
    try:
        with modify_settings(ALLOWED_HOSTS={"append": "localhost"}):
            yield server.url
    finally:
        server.stop()


def make_site_pages(url: str) -> SitePages:
    site = load_real_site(url)
    places = {"search_term": site.search_term, "workshop": WORKSHOP}
    places.update(catalog_rows())
    trainer = get_user_model().objects.create_user("ada-trainer", password=PASSWORD)
    author = get_user_model().objects.create_user("grace", password=PASSWORD)
    reviewer = create_reviewer("rita", PASSWORD)
    roles = {"trainer": trainer, "author": author, "reviewer": reviewer}
    sessions = {role: session_of(user) for role, user in roles.items()}
    places.update(trainer_rows(trainer, sessions["trainer"]))
    places.update(contribution_rows(author))
    return SitePages(site=site, places=places, sessions=sessions)


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def catalog_rows() -> dict[str, str]:
    """A pattern verified with its layers, one verifying now, an anti-pattern whose build failed."""
    published = Pattern.objects.filter(published=True).order_by("slug")
    with_examples = Example.objects.filter(pattern__published=True).select_related("pattern")
    plain = with_examples.filter(pattern__kind="pattern", host_access=[]).order_by("pattern__slug")
    verified, live = plain[:2]
    verification = finished(verified, "passed", result_with_layers())
    layers = ImageLayers.objects.create(verification=verification, image_name="app", analysis=full_analysis())
    running(live, log="Step 1/3 : FROM busybox:1.35\n")
    anti = with_examples.filter(pattern__kind="anti-pattern").order_by("pattern__slug").first()
    finished(anti, "failed", build_failed_result())
    refused = with_examples.exclude(host_access=[]).order_by("pattern__slug").first()
    return {
        "verified": verified.pattern.slug,
        "running": live.pattern.slug,
        "anti_pattern": anti.pattern.slug,
        "principle": published.filter(kind="principle").first().slug,
        "platform": published.filter(kind="platform").first().slug,
        "layer_files": f"/verifications/{verification.pk}/images/{layers.image_name}/layers/0/files?under=/",
        "verify": f"/patterns/{verified.pattern.slug}/examples/{verified.slug}/verify",
        "verify_refused": f"/patterns/{refused.pattern.slug}/examples/{refused.slug}/verify",
    }


def result_with_layers() -> dict:
    """A passed result whose image `app` has its layer summary and a lint finding, as the worker keeps it."""
    lint = LintReport(True, findings=(LintFinding("DL3007", "warning", 1, "Using latest"),))
    summary = from_json(AnalysisSummary, {**summarise(full_analysis()), "lint": to_json(lint)})
    passed = VerificationReport.from_json(passed_result())
    return dataclasses.replace(passed, analysis={"app": summary}).to_json()


def trainer_rows(trainer, session: str) -> dict[str, str]:
    """The trainer's copy of the curated workshop, a presentation, and a readiness check with a machine."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    assert client.post(f"/my/workshops/copy/{WORKSHOP}/").status_code == 302
    own = Workshop.objects.get(owner=trainer)
    curated = Workshop.objects.get(slug=WORKSHOP)
    presentation = Presentation.objects.start(curated, "", trainer)
    room = CheckRoom.objects.open_for(curated, trainer)
    machine = report(nickname="ada-laptop", kit={"workshop": WORKSHOP, "cut": None, "kit_format": 1})
    machine["checks"][2].update(status="failed", detail="the engine is linux/aarch64")
    sent = client.post(room.join_url, json.dumps(machine), content_type="application/json")
    assert sent.status_code == 200, sent.content
    return {
        "own": own.slug,
        "item": str(WorkshopItem.objects.filter(part__workshop=own).order_by("pk").first().pk),
        "presenter": presentation.get_absolute_url(),
        "follow": presentation.follow_url,
        "room": str(room.pk),
        "join": room.join_url,
    }


def contribution_rows(author) -> dict[str, str]:
    """A draft whose fields and files have problems, and a submission awaiting review with its sandbox run."""
    draft = start_draft(author, "new", "half-done")
    put_file(draft, "examples/hello/Dockerfile", "FROM nowhere:latest\nRUN\n", False)
    typed = {**factories.typed_readme("half-done", "x"), "related": "[{pattern: nowhere"}
    save_typed(draft, typed, "No sections.")
    assert draft.problems, "the draft should show its problems"
    submitted = submission_of(author, "new", "init-first")
    return {"draft": str(draft.pk), "submitted": str(submitted.pk)}
