"""Presenting a workshop live: who may start and move a presentation, and what a follower's poll says."""

import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.test import Client

from catalog.models import Workshop
from catalog.workshops import presenting
from catalog.workshops.presentations import KEEP_PER_PRESENTER, Presentation
from tests.workshop_files import synced_site

pytestmark = pytest.mark.django_db

START = "/workshops/morning/present/"


@pytest.fixture
def site(tmp_path):
    synced_site(tmp_path)


def user(name: str):
    return get_user_model().objects.create_user(name, password="a long enough password 42")


@pytest.fixture
def trainer(client, site):
    person = user("ada-presenter")
    client.force_login(person)
    return person


def started(client, cut: str = "") -> Presentation:
    response = client.post(START, {"cut": cut})
    presentation = Presentation.objects.of(response.wsgi_request.user).first()
    assert response.status_code == 302 and response.url == presentation.get_absolute_url()
    return presentation


def move(client, presentation: Presentation, slide):
    return client.post(f"/workshops/present/{presentation.token}/position", {"slide": slide})


def test_presenting_needs_an_account(client, site):
    login = resolve_url(settings.LOGIN_URL)
    for response in (client.get(START), client.post(START, {"cut": ""})):
        assert response.status_code == 302 and response.url.startswith(login)
        assert "next=/workshops/morning/present/" in response.url
    assert not Presentation.objects.exists()
    presentation = Presentation.objects.create(workshop=Workshop.objects.get(), presenter=user("someone"))
    response = client.get(presentation.get_absolute_url())
    assert response.status_code == 302 and response.url.startswith(login)


def test_a_trainer_starts_a_presentation_of_a_cut_and_gets_the_deck_and_a_follow_link(client, trainer):
    page = client.get(START + "?cut=short")
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'value="short" checked' in html
    presentation = started(client, "short")
    assert (presentation.cut_name, presentation.current_slide, presentation.presenter) == (
        "short",
        1,
        trainer,
    )
    assert len(presentation.token) >= 32
    deck = client.get(presentation.get_absolute_url()).content.decode()
    assert f'data-move-url="/workshops/present/{presentation.token}/position"' in deck
    assert f"http://testserver/workshops/follow/{presentation.token}/" in deck
    assert "Pattern number 1" not in deck  # an extra: the cut leaves it out
    assert client.post(START, {"cut": "nope"}).status_code == 400
    assert Presentation.objects.count() == 1


def test_only_the_presenter_moves_it(client, trainer):
    presentation = started(client)
    assert move(client, presentation, 5).status_code == 200
    other = Client()
    other.force_login(user("attendee"))
    assert move(other, presentation, 2).status_code == 403
    assert move(Client(), presentation, 3).status_code == 403  # not logged in: a 403 too, not a login page
    assert other.get(presentation.get_absolute_url()).status_code == 403
    assert other.post(f"/workshops/present/{presentation.token}/end").status_code == 403
    presentation.refresh_from_db()
    assert presentation.current_slide == 5
    for nonsense in ("abc", "0", "-1", "99999999", ""):
        assert move(client, presentation, nonsense).status_code == 400
    assert client.get(f"/workshops/present/{presentation.token}/position").status_code == 405


def test_a_move_needs_the_csrf_token_of_the_presenters_page(trainer, site):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(trainer)
    presentation = Presentation.objects.start(Workshop.objects.get(), "", trainer)
    url = f"/workshops/present/{presentation.token}/position"
    assert strict.post(url, {"slide": 2}).status_code == 403
    page = strict.get(presentation.get_absolute_url())
    token = page.context["csrf_token"]
    assert strict.post(url, {"slide": 2}, headers={"X-CSRFToken": str(token)}).status_code == 200


def test_followers_poll_the_slide_number_and_nothing_else(client, trainer, django_assert_max_num_queries):
    presentation = started(client)
    assert move(client, presentation, 7).status_code == 200
    follower = Client()
    with django_assert_max_num_queries(1):
        response = follower.get(f"/workshops/follow/{presentation.token}/position.json")
    assert response.status_code == 200 and response.json() == {"slide": 7}
    assert "no-store" in response["Cache-Control"]
    page = follower.get(presentation.follow_url)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-mode="follow"' in html
    assert f'data-position-url="/workshops/follow/{presentation.token}/position.json"' in html
    assert 'class="slide__notes"' not in html and "ada-presenter" not in html  # no notes, no presenter's name
    assert follower.get("/workshops/follow/not-a-token/position.json").status_code == 404
    assert follower.get("/workshops/follow/not-a-token/").status_code == 404


def test_ending_it_stops_the_follow_link(client, trainer):
    presentation = started(client)
    response = client.post(f"/workshops/present/{presentation.token}/end")
    assert response.status_code == 302 and response.url == START
    position = Client().get(f"/workshops/follow/{presentation.token}/position.json")
    assert position.status_code == 404 and position.json() == {"ended": True}


def test_a_presenter_keeps_a_few_presentations(client, trainer):
    first = started(client)
    for _ in range(KEEP_PER_PRESENTER):
        started(client)
    assert Presentation.objects.of(trainer).count() == KEEP_PER_PRESENTER
    assert not Presentation.objects.filter(pk=first.pk).exists()
    page = client.get(START).content.decode()
    assert page.count("Resume at slide") == KEEP_PER_PRESENTER


def until_refused(call, limit: int) -> list:
    # A fixed window may end during the loop: within two windows a refusal must come.
    responses = []
    for _ in range(2 * limit + 2):
        responses.append(call())
        if responses[-1].status_code == 429:
            break
    return responses


def test_moves_and_polls_are_rate_limited(client, trainer, monkeypatch):
    monkeypatch.setattr(presenting, "MOVES_PER_WINDOW", 15)
    monkeypatch.setattr(presenting, "POLLS_PER_WINDOW", 20)
    presentation = started(client)
    moves = until_refused(lambda: move(client, presentation, 2), 15)
    assert {response.status_code for response in moves[:15]} == {200} and moves[-1].status_code == 429
    url = f"/workshops/follow/{presentation.token}/position.json"
    follower = Client()
    polls = until_refused(lambda: follower.get(url), 20)
    assert {response.status_code for response in polls[:20]} == {200}
    refused = polls[-1]
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= presenting.WINDOW + 1
    assert "slide" not in refused.json()


def test_the_limit_counts_in_the_shared_redis_cache_and_lets_calls_through_when_it_is_away(
    settings, redis_url
):
    key = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "catalog.serving.redis_cache.RedisCache", "LOCATION": redis_url}
    }
    statuses = [presenting.over_limit(key, 3, window=3600) for _ in range(5)]
    assert statuses[:3] == [0, 0, 0] and all(seconds > 0 for seconds in statuses[3:])
    settings.CACHES = {
        "default": {"BACKEND": "catalog.serving.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert presenting.over_limit(key, 0) == 0


def test_a_live_presentation_whose_cut_is_removed_shows_the_whole_workshop_and_says_so(client, trainer):
    presentation = started(client, "short")
    Workshop.objects.get().cuts.filter(name="short").delete()  # as a sync of the edited file would
    follower = Client()
    for page in (client.get(presentation.get_absolute_url()), follower.get(presentation.follow_url)):
        assert page.status_code == 200
        html = page.content.decode()
        assert "The cut “short” this presentation started with is no longer part of the workshop" in html
        assert "Pattern number 1" in html  # the extra the cut left out is back
    assert client.get("/workshops/morning/slides/?cut=short").status_code == 404  # a link is still wrong
