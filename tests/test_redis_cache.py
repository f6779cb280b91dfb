"""The Redis cache backend that reuses one client: it stores, shares and invalidates like Django's."""

from django.core.cache import caches
from django.test import override_settings

from catalog.serving import page_cache


def redis_cache(url: str):
    settings = {
        "default": {"BACKEND": "catalog.serving.redis_cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "t"}
    }
    return override_settings(CACHES=settings)


def test_values_round_trip_and_the_client_is_reused(redis_url):
    with redis_cache(redis_url):
        cache = caches["default"]
        cache.set("answer", {"value": 42}, 30)
        assert cache.get("answer") == {"value": 42}
        assert cache._cache.get_client() is cache._cache.get_client()
        cache.delete("answer")
        assert cache.get("answer") is None


def test_a_generation_bump_is_seen_by_another_cache_instance(redis_url):
    with redis_cache(redis_url):
        before = page_cache.current_generation()
        page_cache.bump_generation()
        # A second backend object stands for another process sharing the same Redis.
        other = caches.create_connection("default")
        assert other.get(page_cache.GENERATION_KEY) not in (None, before)
