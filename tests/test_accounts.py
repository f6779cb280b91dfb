"""Accounts (trainers, contributors, reviewers): sign-up with the password validators, log-in (throttled),
log-out by POST, create_trainer."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase of words"


def test_sign_up_checks_the_password_then_logs_in(client):
    page = client.get("/accounts/signup/").content.decode()
    assert 'name="username"' in page and 'name="password1"' in page and "csrfmiddlewaretoken" in page
    weak = client.post(
        "/accounts/signup/", {"username": "ada", "password1": "12345678", "password2": "12345678"}
    )
    html = weak.content.decode()
    assert weak.status_code == 200 and not User.objects.exists()
    assert "This password is too common." in html and "This password is entirely numeric." in html
    assert 'value="ada"' in html  # what was typed stays (the passwords are never sent back)

    response = client.post(
        "/accounts/signup/", {"username": "ada", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/my/workshops/"
    assert client.get("/my/workshops/").status_code == 200
    assert client.get("/accounts/signup/")["Location"] == "/my/workshops/"


def test_log_in_and_log_out_by_post(client):
    User.objects.create_user("ada", password=PASSWORD)
    assert client.get("/my/workshops/")["Location"] == "/accounts/login/?next=/my/workshops/"
    wrong = client.post("/accounts/login/", {"username": "ada", "password": "nope"})
    assert (
        wrong.status_code == 200 and "Please enter a correct username and password" in wrong.content.decode()
    )
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD, "next": "/my/workshops/"}
    )
    assert response.status_code == 302 and response["Location"] == "/my/workshops/"
    page = client.get("/my/workshops/").content.decode()
    assert 'action="/accounts/logout/"' in page and "Logged in as <strong>ada</strong>" in page
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log anybody out
    assert client.post("/accounts/logout/")["Location"] == "/workshops/"
    assert client.get("/my/workshops/").status_code == 302


def test_create_trainer_reads_the_password_from_the_environment(monkeypatch, client):
    monkeypatch.setenv("TRAINER_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("create_trainer", "grace", stdout=out)
    assert "created trainer 'grace'" in out.getvalue()
    assert client.login(username="grace", password=PASSWORD)
    with pytest.raises(CommandError, match="A user with that username already exists"):
        call_command("create_trainer", "grace")


def test_create_trainer_refuses_weak_passwords_and_bad_names(monkeypatch):
    monkeypatch.setenv("TRAINER_PASSWORD", "grace")
    with pytest.raises(CommandError, match="too similar to the username"):
        call_command("create_trainer", "grace")
    monkeypatch.setenv("TRAINER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="cannot be used"):
        call_command("create_trainer", "no spaces")
    assert not User.objects.exists()


def test_create_trainer_without_a_password_or_a_terminal(monkeypatch):
    monkeypatch.delenv("TRAINER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="set TRAINER_PASSWORD"):
        call_command("create_trainer", "grace")


def test_log_in_waits_after_too_many_failures_for_a_name_or_from_an_address(client, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    User.objects.create_user("ada", password=PASSWORD)
    User.objects.create_user("grace", password=PASSWORD)
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "ada", "password": "nope"}).status_code == 200
    # Even the right password waits now, and the page says for how long.
    refused = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert "Too many failed log-ins for this name or from this address: try again in about 15 minutes" in (
        refused.content.decode()
    )
    # The same address is slowed for other names too; another address may still log in as grace.
    assert client.post("/accounts/login/", {"username": "grace", "password": PASSWORD}).status_code == 429
    elsewhere = client.post(
        "/accounts/login/", {"username": "grace", "password": PASSWORD}, REMOTE_ADDR="192.0.2.7"
    )
    assert elsewhere.status_code == 302
    # ...but not as ada, whose name counts its failures from any address.
    client.post("/accounts/logout/")
    other = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="192.0.2.8"
    )
    assert other.status_code == 429


def test_one_account_serves_trainers_and_contributors(client):
    page = client.get("/accounts/signup/").content.decode()
    assert "<h1>Sign up</h1>" in page and "submit patterns" in page and "workshops" in page
