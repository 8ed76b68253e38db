"""The fetcher against a local server that misbehaves on purpose."""

import pytest

from newsflow.ingest.fetch import Fetcher, FetchError
from newsflow.settings import Settings

pytestmark = pytest.mark.anyio


def fetcher(**overrides) -> Fetcher:
    base = dict(fetch_allow_private=True, fetch_read_timeout=1.0, fetch_total_timeout=3.0,
                fetch_max_bytes=2_000_000, data_dir="/tmp")
    base.update(overrides)
    return Fetcher(Settings(**base))


async def fails(f: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as err:
        await f.fetch(url)
    await f.aclose()
    return err.value


async def test_ok_page(server):
    f = fetcher()
    page = await f.fetch(server.url("/ok"))
    await f.aclose()
    assert page.status == 200 and "Timbuktu" in page.html and page.encoding == "utf-8"


@pytest.mark.parametrize("path,permanent,needle", [
    ("/404", True, "HTTP 404"), ("/410", True, "HTTP 410"), ("/503", False, "HTTP 503"), ("/500", False, "HTTP 500"),
    ("/429", False, "HTTP 429"), ("/json", True, "not HTML"), ("/pdf", True, "not HTML"),
    ("/big", True, "too large"), ("/endless", True, "too large"), ("/loop-a", True, "redirect loop"),
    ("/hop/6", True, "more than 5 redirects"),
])
async def test_failures_are_classified(server, path, permanent, needle):
    err = await fails(fetcher(), server.url(path))
    assert err.permanent is permanent and needle in err.reason


async def test_five_redirects_are_followed(server):
    f = fetcher()
    page = await f.fetch(server.url("/hop/5"))
    await f.aclose()
    assert page.final_url.endswith("/hop/0") and len(page.redirects) == 5


async def test_slow_response_times_out_as_transient(server):
    err = await fails(fetcher(fetch_read_timeout=0.5), server.url("/slow"))
    assert not err.permanent and "timeout" in err.reason


async def test_dripping_body_hits_the_total_timeout(server):
    err = await fails(fetcher(fetch_read_timeout=2.0, fetch_total_timeout=1.5), server.url("/drip"))
    assert not err.permanent and "1.5s" in err.reason


async def test_private_addresses_refused_when_guard_on(server):
    for url in (server.url("/ok"), server.url("/ok").replace("127.0.0.1", "localhost")):
        err = await fails(fetcher(fetch_allow_private=False), url)
        assert err.permanent and "non-public address" in err.reason


async def test_page_lying_about_its_charset_is_decoded_right(server):
    f = fetcher()
    page = await f.fetch(server.url("/wrong-charset"))
    await f.aclose()
    assert "Tombouctou – Tiéré" in page.html
