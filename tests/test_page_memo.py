"""The per-process page memo: one generation at a time, never more bytes than its budget."""

import time

from catalog.serving.page_memo import CACHE_HEADER, PAGE_OVERHEAD, Page, PageMemo

HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "1000")]


def page(size: int = 1000, expires_in: float = 60) -> Page:
    return Page.build(time.time() + expires_in, 200, HEADERS, b"x" * size)


def test_a_page_is_ready_to_send():
    built = page()
    assert built.status_line == "200 OK"
    assert built.headers == tuple(HEADERS)
    assert built.hit_headers == (*HEADERS, (CACHE_HEADER, "hit"))


def test_pages_are_found_under_their_generation_only():
    memo = PageMemo(max_bytes=100_000)
    memo.put("g1", "/a", page())
    assert memo.get("g1", "/a") is not None
    assert memo.get("g2", "/a") is None
    assert memo.get("g1", "/b") is None


def test_a_new_generation_drops_the_old_pages():
    memo = PageMemo(max_bytes=100_000)
    memo.put("g1", "/a", page())
    memo.put("g1", "/b", page())
    memo.put("g2", "/c", page())
    assert len(memo) == 1
    assert memo.get("g1", "/a") is None
    assert memo.bytes_held == page().size


def test_the_budget_holds_and_the_oldest_pages_go_first():
    size = 1000 + PAGE_OVERHEAD
    memo = PageMemo(max_bytes=3 * size)
    for path in ("/a", "/b", "/c", "/d", "/e"):
        memo.put("g1", path, page())
        assert memo.bytes_held <= memo.max_bytes
    assert [memo.get("g1", path) is not None for path in ("/a", "/b", "/c", "/d", "/e")] == [
        False,
        False,
        True,
        True,
        True,
    ]
    memo.put("g1", "/e", page())  # replacing a page counts it once
    assert memo.bytes_held == 3 * size


def test_a_page_larger_than_the_budget_is_not_kept():
    memo = PageMemo(max_bytes=5000)
    memo.put("g1", "/small", page(1000))
    memo.put("g1", "/huge", page(10_000))
    assert memo.get("g1", "/huge") is None
    assert memo.get("g1", "/small") is not None


def test_an_expired_page_is_not_served():
    memo = PageMemo(max_bytes=100_000)
    memo.put("g1", "/a", page(expires_in=-1))
    assert memo.get("g1", "/a") is None
