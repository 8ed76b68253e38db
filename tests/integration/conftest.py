import pytest

from tests.integration.badserver import BadServer


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def server():
    with BadServer() as s:
        yield s
