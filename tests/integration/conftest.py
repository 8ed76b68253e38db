import pytest
from redis.asyncio import Redis

from tests.integration.badserver import BadServer


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def server():
    with BadServer() as s:
        yield s


@pytest.fixture
async def redis(settings):
    """A client on the test's Redis; the test's own streams are deleted afterwards."""
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.delete(
        settings.stream_urls, settings.stream_articles, settings.stream_enriched, settings.stream_dlq
    )
    await client.aclose()
