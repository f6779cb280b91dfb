"""Django's Redis cache backend, with one long-lived redis-py client instead of one per call."""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django builds a redis.Redis for every call, and redis-py fills a table of ~170
        # response callbacks in each one: that cost more CPU than the round trip itself.
        # A client is thread-safe; it still takes a connection from the pool per command,
        # whose check-out notices a connection that a Redis restart closed.
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


class RedisCache(django_redis.RedisCache):
    """BACKEND "catalog.serving.redis_cache.RedisCache"; LOCATION and OPTIONS as for Django's own."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
