"""Readiness checks of a workshop's room: a trainer opens one, attendees' check.sh post reports to its
link, the trainer's dashboard shows every machine; the link's refusals and limits, and the deletion after
the event."""

import copy
import io
import json
import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone

from catalog.models import CheckRoom, MachineReport, Workshop
from catalog.workshops import join_views
from catalog.workshops.check_report import MAX_BYTES
from tests.check_reports import CHECK_SH_CURL, item, report
from tests.conftest import require
from tests.test_kit_check_script import without_docker, write_kit
from tests.workshop_files import synced_site
from worker.celery_app import app
from worker.tasks import expire_readiness_checks

pytestmark = pytest.mark.django_db

OPEN = "/workshops/morning/readiness-check/"


def user(name: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(name, password="a long enough password 42")


@pytest.fixture
def site(tmp_path):
    synced_site(tmp_path)


@pytest.fixture
def trainer(client, site):
    person = user("ada-trainer")
    client.force_login(person)
    return person


@pytest.fixture
def room(client, trainer) -> CheckRoom:
    response = client.post(OPEN)
    room = CheckRoom.objects.get()
    assert response.status_code == 302 and response.url == room.get_absolute_url()
    return room


@pytest.fixture
def bare_room() -> CheckRoom:
    """A check of a workshop `morning` with no parts: enough for what the link takes, without a sync."""
    workshop = Workshop.objects.create(
        slug="morning", title="Morning", summary="s", audience="a", duration_minutes=60
    )
    return CheckRoom.objects.open_for(workshop, user("ada-trainer"))


def send(room_or_token, data, client: Client | None = None, **extra):
    token = room_or_token.token if isinstance(room_or_token, CheckRoom) else room_or_token
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    content_type = extra.pop("content_type", "application/json")
    return (client or Client()).post(f"/workshops/check/{token}/", body, content_type=content_type, **extra)


def words(html: str) -> str:
    return " ".join(html.split())


def line(response) -> str:
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response.content.decode()


def test_a_trainer_opens_a_check_from_the_workshop_page_and_gets_the_link_and_the_command(client, trainer):
    page = client.get("/workshops/morning/").content.decode()
    # A GET to the check's page without JavaScript (the cached page carries no CSRF token), a POST with it.
    assert f'action="{OPEN}" data-verify-again data-token-url="/csrf-token.json"' in page
    assert "Open a readiness check" in page
    assert 'name="csrfmiddlewaretoken"' in client.get(OPEN).content.decode()

    first, again = client.post(OPEN), client.post(OPEN)
    room = CheckRoom.objects.get()  # pressing twice opens one check
    assert first.url == again.url == room.get_absolute_url()
    assert (room.trainer, room.workshop.slug, room.is_open) == (trainer, "morning", True)
    assert len(room.token) >= 22
    dashboard = client.get(room.get_absolute_url())
    assert dashboard.status_code == 200 and dashboard["Cache-Control"].startswith("max-age=0")
    link = f"http://testserver/workshops/check/{room.token}/"
    assert f"sh check.sh --report {link} --nickname your-name" in dashboard.content.decode()
    assert "No machine has reported yet." in dashboard.content.decode()

    attendee = Client().get(room.join_url)
    assert attendee.status_code == 200 and attendee["Cache-Control"].startswith("max-age=0")
    assert f"sh check.sh --report {link} --nickname your-name" in attendee.content.decode()
    assert 'href="/workshops/morning/#kit-title"' in attendee.content.decode()


def test_opening_a_check_needs_a_login_and_the_csrf_token(trainer, site):
    login = resolve_url(settings.LOGIN_URL)
    for response in (Client().get(OPEN), Client().post(OPEN)):
        assert response.status_code == 302 and response.url.startswith(login)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(trainer)
    assert strict.post(OPEN).status_code == 403
    token = strict.get("/csrf-token.json").json()["token"]  # what verify-again.js fetches
    assert strict.post(OPEN, {"csrfmiddlewaretoken": token}).status_code == 302
    room = CheckRoom.objects.get()
    assert strict.post(f"/my/readiness-checks/{room.pk}/close").status_code == 403  # closing needs it too
    assert CheckRoom.objects.get().is_open


def test_a_trainers_own_workshop_is_checked_by_its_owner_only(client, trainer):
    own = Workshop.objects.create(
        slug="ada-own",
        title="Own",
        summary="s",
        audience="a",
        duration_minutes=60,
        source="trainer",
        owner=trainer,
    )
    assert client.post(f"/workshops/{own.slug}/readiness-check/").status_code == 302
    other = Client()
    other.force_login(user("grace"))
    assert other.post(f"/workshops/{own.slug}/readiness-check/").status_code == 404
    assert list(CheckRoom.objects.values_list("workshop__slug", "trainer__username")) == [
        ("ada-own", "ada-trainer")
    ]


def test_a_report_sent_with_the_token_is_stored_as_data_and_answered_in_one_line(room):
    data = report()
    data["debug"] = "<b>unknown fields go</b>"
    data["machine"]["hostname"] = "secret-host"
    data["items"][0]["extra"] = 1
    # The link is an API for curl: no CSRF token, even with the checks enforced.
    response = send(room, data, Client(enforce_csrf_checks=True))
    assert response.status_code == 200
    assert line(response) == "received: 2 passed, 1 failed; the trainer sees it now\n"
    stored = MachineReport.objects.get(room=room)
    assert stored.nickname == "ada-laptop"
    assert "debug" not in stored.report and "hostname" not in stored.report["machine"]
    assert set(stored.report["items"][0]) == {
        "number",
        "folder",
        "pattern",
        "example",
        "status",
        "seconds",
        "detail",
    }
    assert stored.parsed.items[2].detail == "command 3 (docker run hello): exited 1, the kit says 0"


def test_reports_without_a_valid_open_token_are_refused(client, room):
    assert send("not-the-token", report()).status_code == 404
    assert "no readiness check has this link" in line(send("x" * 22, report()))
    assert Client().get("/workshops/check/not-the-token/").status_code == 404

    assert client.post(f"/my/readiness-checks/{room.pk}/close").url == room.get_absolute_url()
    closed = send(room, report())
    assert closed.status_code == 403 and "closed" in line(closed)
    assert Client().get(room.join_url).status_code == 410
    assert not MachineReport.objects.exists()
    assert "This check was closed" in client.get(room.get_absolute_url()).content.decode()
    # A new check gets a new link; the closed one stays refused.
    assert client.post(OPEN).status_code == 302
    new = CheckRoom.objects.get(closed_at=None)
    assert new.token != room.token
    assert send(new, report()).status_code == 200 and send(room, report()).status_code == 403


def test_an_oversized_report_is_refused_unread(bare_room):
    data = report(nickname="big")
    data["padding"] = "x" * MAX_BYTES  # an unknown field: valid JSON, but too long
    response = send(bare_room, data)
    assert (
        response.status_code == 413 and line(response) == f"refused: a report has at most {MAX_BYTES} bytes\n"
    )
    assert not MachineReport.objects.exists()


def until_refused(send_one, limit: int) -> list:
    # A fixed window may end during the loop: within two windows a refusal must come.
    responses = []
    for number in range(2 * limit + 2):
        responses.append(send_one(number))
        if responses[-1].status_code == 429:
            break
    return responses


def test_reports_are_rate_limited_per_address_and_per_check(bare_room):
    room = bare_room
    limit = join_views.REPORTS_PER_ADDRESS
    sent = until_refused(lambda _: send(room, report()), limit)
    assert {response.status_code for response in sent[:limit]} == {200}
    refused = sent[-1]
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 11
    assert line(refused).startswith("refused: too many reports from this address; send it again in ")
    # Other addresses are not held back by the first, until the check itself has had its share;
    # refused reports count too (these are not valid), so that a flood costs no parsing.
    sent = until_refused(
        lambda n: send(room, b"{}", REMOTE_ADDR=f"10.0.{n // 200}.{n % 200 + 1}"), join_views.REPORTS_PER_ROOM
    )
    assert {response.status_code for response in sent[:-1]} == {400}
    refused = sent[-1]
    assert refused.status_code == 429 and "too many reports to this readiness check" in line(refused)
    assert 1 <= int(refused["Retry-After"]) <= 11


BAD_FIELDS = [
    (lambda r: r.update(nickname=""), "nickname: must not be empty"),
    (lambda r: r.update(nickname="n" * 101), "nickname: at most 100 characters, not 101"),
    (lambda r: r.pop("nickname"), "nickname: missing"),
    (lambda r: r.update(report_format=2), "report_format: this site reads format 1"),
    (
        lambda r: r["kit"].update(workshop="other"),
        "kit.workshop: this check is for the kit of morning, not other",
    ),
    (lambda r: r["machine"].update(free_disk_mb="lots"), "machine.free_disk_mb: must be a whole number"),
    (lambda r: r["machine"].update(arch=["x86_64"]), "machine.arch: must be a string"),
    (lambda r: r.update(checks={}), "checks: must be a list"),
    (lambda r: r["checks"][1].update(status="fine"), "checks[1].status: one of passed, failed, skipped"),
    (lambda r: r["items"][2].update(status="maybe"), "items[2].status: one of passed, failed, not run"),
    (lambda r: r["items"][0].update(number=True), "items[0].number: must be a whole number"),
    (lambda r: r["items"][1].update(detail="a\x1bb"), "items[1].detail: must not hold control characters"),
    (lambda r: r.update(items=[r["items"][0]] * 301), "items: at most 300 entries, not 301"),
    (lambda r: r.update(passed=3), "passed: 3, but 2 of the items say so"),
    (lambda r: r.update(started="yesterday"), "started: a time in ISO 8601 with its zone"),
    (lambda r: r.update(seconds=-1), "seconds: must be from 0 to 604800, not -1"),
]


@pytest.mark.parametrize(("spoil", "message"), BAD_FIELDS)
def test_a_bad_field_is_refused_by_its_name(bare_room, spoil, message):
    data = copy.deepcopy(report())
    spoil(data)
    response = send(bare_room, data)
    assert response.status_code == 400
    assert line(response).startswith(f"refused: {message}")
    assert not MachineReport.objects.exists()


def test_only_json_is_taken(bare_room):
    assert "not JSON" in line(send(bare_room, b"nickname=ada"))
    assert "report: must be a JSON object" in line(send(bare_room, b"[1, 2]"))
    form = send(bare_room, json.dumps(report()).encode(), content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and "Content-Type: application/json" in line(form)


def test_the_same_machine_reporting_again_replaces_its_report(client, room):
    assert send(room, report()).status_code == 200
    again = report(items=[item(1, "pattern-0", "passed"), item(2, "pattern-1", "passed")], passed=2, failed=0)
    response = send(room, again)
    assert line(response) == (
        "received (it replaces this machine's earlier one): 2 passed, 0 failed; the trainer sees it now\n"
    )
    assert send(room, report(nickname="grace-desktop")).status_code == 200
    assert sorted(MachineReport.objects.values_list("nickname", flat=True)) == ["ada-laptop", "grace-desktop"]
    assert MachineReport.objects.get(nickname="ada-laptop").parsed.failed == 0
    page = client.get(room.get_absolute_url()).content.decode()
    assert "2 machines</strong> reported: 1 ready, 1 not ready" in words(page)


def test_html_in_a_report_is_shown_escaped(client, room):
    data = report(nickname="<script>alert('ada')</script>")
    data["items"][2]["detail"] = '<img src=x onerror="alert(1)">'
    assert send(room, data).status_code == 200
    for url in (room.get_absolute_url(), f"/my/readiness-checks/{room.pk}/machines"):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&#x27;ada&#x27;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
        assert "<script>alert" not in html and "<img src=x" not in html


def test_the_dashboard_shows_a_row_per_machine_with_totals_flags_and_failures(
    client, room, django_assert_max_num_queries
):
    assert send(room, report(nickname="ada-laptop")).status_code == 200
    short = report(nickname="mac-mini")
    short["machine"].update(
        os="Darwin", arch="arm64", engine_os="linux", engine_arch="aarch64", free_disk_mb=900
    )
    short["checks"][2].update(
        status="failed", detail="the engine is linux/aarch64, the kit's images are amd64"
    )
    short["checks"][3].update(status="failed", detail="900 MB free on /var/lib/docker, 1800 MB needed")
    short["items"] = [
        item(number, pattern, "not run") for number, pattern in ((1, "pattern-0"), (2, "pattern-1"))
    ]
    short.update(passed=0, failed=2)
    assert send(room, short).status_code == 200
    ready = report(nickname="zed", items=report()["items"][:2], passed=2, failed=0)
    assert send(room, ready).status_code == 200

    # The session, its user, the check, its reports, and the site's setup notice (every page's).
    with django_assert_max_num_queries(5):
        page = client.get(room.get_absolute_url())
    html = page.content.decode()
    assert (
        "<strong>3 machines</strong> reported: 1 ready, 2 not ready (1 with the wrong architecture"
        in words(html)
    )
    assert "4 example runs passed, 3 failed or not run." in words(html)
    assert re.findall(r'<th scope="row">([^<]*?)(?: <span|</th>)', html) == ["ada-laptop", "mac-mini", "zed"]
    rows = html.split('<tr class="check-row')[1:]
    ada, mac, zed = rows
    assert ada.startswith(' check-row--not-ready"') and "<td>Linux x86_64</td>" in ada
    assert "<td>20.10.24 (linux/x86_64)</td>" in ada and "53.7 GB" in ada
    assert "3. pattern-2/hello</strong> failed: command 3 (docker run hello): exited 1, the kit says 0" in ada
    assert mac.startswith(' check-row--flagged"') and "<td>Darwin arm64</td>" in mac and "944 MB" in mac
    assert (
        "<strong>architecture</strong>: the engine is linux/aarch64, the kit&#x27;s images are amd64" in mac
    )
    assert "<strong>disk</strong>: 900 MB free on /var/lib/docker, 1800 MB needed" in mac
    assert "1. pattern-0/hello</strong> not run" in mac
    assert zed.startswith('">') and "ready</span>" in zed and "check-row__problems" not in zed

    # The live part: the script polls the fragment; without JavaScript the page refreshes itself.
    assert f'data-url="/my/readiness-checks/{room.pk}/machines" data-poll-seconds="5"' in html
    assert '<noscript><meta http-equiv="refresh" content="15"></noscript>' in html
    assert "js/check-dashboard.js" in html
    fragment = client.get(f"/my/readiness-checks/{room.pk}/machines")
    assert fragment.status_code == 200 and "no-store" in fragment["Cache-Control"]
    assert "<html" not in fragment.content.decode() and "mac-mini" in fragment.content.decode()


def test_only_the_trainer_who_opened_a_check_sees_it(client, room):
    assert send(room, report()).status_code == 200
    urls = (room.get_absolute_url(), f"/my/readiness-checks/{room.pk}/machines")
    other = Client()
    other.force_login(user("grace"))
    for url in urls:
        assert other.get(url).status_code == 403
        assert Client().get(url).status_code == 302  # a login page first
    assert other.post(f"/my/readiness-checks/{room.pk}/close").status_code == 403
    assert "ada-laptop" not in Client().get(room.join_url).content.decode()  # attendees see no one's report
    room.refresh_from_db()
    assert room.is_open
    assert other.post(OPEN).status_code == 302  # another trainer's check of the same workshop is their own
    assert CheckRoom.objects.count() == 2


def test_checks_are_deleted_a_set_time_after_the_event_and_the_rest_kept(client, trainer, settings):
    settings.READINESS_KEEP_DAYS = 7
    now = timezone.now()
    today = now.date()

    def opened(slug: str, event_date=None, days_ago: float = 0) -> CheckRoom:
        workshop = Workshop.objects.create(
            slug=slug,
            title=slug,
            summary="s",
            audience="a",
            duration_minutes=60,
            source="trainer",
            owner=trainer,
        )
        workshop.event_date = event_date
        workshop.save()
        room = CheckRoom.objects.create(
            workshop=workshop, trainer=trainer, opened_at=now - timedelta(days=days_ago)
        )
        MachineReport.objects.create(room=room, nickname="ada", report=report())
        return room

    due = [
        opened("past-event", today - timedelta(days=8), days_ago=30),
        opened("undated-old", None, days_ago=7.01),
    ]
    kept = [
        opened("event-a-week-ago", today - timedelta(days=7), days_ago=30),  # deleted from tomorrow 00:00 UTC
        opened("future-event", today + timedelta(days=3), days_ago=30),
        opened("undated-new", None, days_ago=6.9),
    ]
    assert all(room.delete_at <= now for room in due) and all(room.delete_at > now for room in kept)
    assert kept[0].delete_at.isoformat() == f"{today + timedelta(days=1)}T00:00:00+00:00"

    page = client.get(kept[0].get_absolute_url()).content.decode()
    assert f'deleted on <time datetime="{today + timedelta(days=1)}T00:00:00+00:00">' in page
    assert (
        f"7 days after the workshop\N{RIGHT SINGLE QUOTATION MARK}s date ({today - timedelta(days=7)})"
        in page
    )
    assert (
        "7 days after it was opened (the workshop has no date)"
        in client.get(kept[2].get_absolute_url()).content.decode()
    )

    out = io.StringIO()
    call_command("expire_readiness_checks", stdout=out)
    assert out.getvalue().strip() == "deleted 2 readiness check(s) and 2 machine report(s); 3 remain"
    assert set(CheckRoom.objects.values_list("pk", flat=True)) == {room.pk for room in kept}
    assert MachineReport.objects.count() == 3


def test_the_beats_task_deletes_what_is_due(transactional_db, settings):
    """The worker's beat runs it (its connection handling needs a database outside a test's transaction)."""
    settings.READINESS_KEEP_DAYS = 0
    trainer = user("ada-trainer")
    workshops = [
        Workshop.objects.create(
            slug=slug,
            title=slug,
            summary="s",
            audience="a",
            duration_minutes=60,
            source="trainer",
            owner=trainer,
        )
        for slug in ("yesterday", "today")
    ]
    now = timezone.now()
    for workshop, days_ago in zip(workshops, (1, 0), strict=True):
        workshop.event_date = now.date() - timedelta(days=days_ago)
        workshop.save()
        room = CheckRoom.objects.create(workshop=workshop, trainer=trainer)
        MachineReport.objects.create(room=room, nickname="ada", report=report())
    assert expire_readiness_checks() == {"rooms": 1, "reports": 1}
    assert [room.workshop.slug for room in CheckRoom.objects.all()] == ["today"]
    entry = settings.CELERY_BEAT_SCHEDULE["expire-readiness-checks"]
    assert entry["task"] == "catalog.expire_readiness_checks" and entry["task"] in app.tasks


def test_check_sh_s_own_curl_command_reports_to_a_live_server(live_server, transactional_db, tmp_path):
    """The exact command check.sh runs, against a real server: the reply is what it prints."""
    require("curl", shutil.which("curl") is not None, "curl is not installed: apt-get install curl")
    synced_site(tmp_path)
    room = CheckRoom.objects.open_for(Workshop.objects.get(slug="morning"), user("ada-trainer"))
    (tmp_path / "report.json").write_text(json.dumps(report(nickname="ada <laptop>"), indent=1))

    def curl(link: str, file: str = "report.json") -> str:
        done = subprocess.run(
            [*CHECK_SH_CURL, f"@{file}", link],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    link = live_server.url + room.join_url
    assert curl(link) == "received: 2 passed, 1 failed; the trainer sees it now\n"
    assert MachineReport.objects.get(room=room).nickname == "ada <laptop>"
    (tmp_path / "big.json").write_text(json.dumps(report(padding="x" * MAX_BYTES)))
    assert curl(link, "big.json") == f"refused: a report has at most {MAX_BYTES} bytes\n"
    assert curl(live_server.url + "/workshops/check/wrong-token/").startswith("refused: no readiness check")


def test_the_kits_own_check_sh_reports_to_a_live_server(live_server, transactional_db, tmp_path):
    """check.sh itself, on a laptop without Docker: its machine check fails, nothing runs, and the
    report it writes and sends (with its own curl) is taken as it is."""
    require("curl", shutil.which("curl") is not None, "curl is not installed: apt-get install curl")
    synced_site(tmp_path / "site")
    kit = write_kit(tmp_path / "kit")
    room = CheckRoom.objects.open_for(Workshop.objects.get(slug="morning"), user("ada-trainer"))
    link = live_server.url + room.join_url
    checked = subprocess.run(
        ["sh", str(kit / "check.sh"), "--nickname", "ada <b>laptop</b>", "--report", link],
        cwd=tmp_path,
        env={**os.environ, "PATH": without_docker(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "Sent to the trainer: received: 0 passed, 3 failed; the trainer sees it now" in checked.stdout
    stored = MachineReport.objects.get(room=room).parsed
    assert (stored.nickname, stored.machine.engine_version) == ("ada <b>laptop</b>", "")
    assert [(check.name, check.status) for check in stored.checks] == [("docker-cli", "failed")]
    assert [item.status for item in stored.items] == ["not run"] * 3
