"""The API behind the production front (granian, catalog.wsgi): a page-cache hit is still a 304 and CORS."""

from tests.test_page_front import site  # noqa: F401  (the module's granian site, with each cache)

DETAIL = "/api/v1/patterns/pattern-0.json"


def test_a_cached_answer_is_still_a_304_for_a_client_that_has_it(site):  # noqa: F811
    hit = site.until_hit(DETAIL)  # answered by the front from its memo, without Django
    etag, modified = hit.header("etag"), hit.header("last-modified")
    assert etag and modified and hit.header("access-control-allow-origin") == "*"
    again = site.request(DETAIL, headers={"If-None-Match": etag})
    assert (again.status, again.body, again.header("etag")) == (304, b"", etag)
    assert again.header("access-control-allow-origin") == "*"
    assert site.request(DETAIL, headers={"If-Modified-Since": modified}).status == 304
    other = site.request(DETAIL, headers={"If-None-Match": '"not-this-one"'})
    assert (other.status, other.body) == (200, hit.body)


def test_a_preflight_from_another_origin_is_answered(site):  # noqa: F811
    answer = site.request(
        DETAIL,
        method="OPTIONS",
        headers={"Origin": "https://slides.example", "Access-Control-Request-Method": "GET"},
    )
    assert answer.status == 204 and answer.body == b""
    assert answer.header("access-control-allow-origin") == "*"
    assert answer.header("access-control-allow-methods") == "GET, HEAD, OPTIONS"
