"""The fetcher against a local server that misbehaves on purpose."""

from typing import Any

import pytest

from newsflow.ingest.fetch import Fetcher, FetchError
from newsflow.settings import Settings

pytestmark = pytest.mark.anyio


def fetcher(**overrides: object) -> Fetcher:
    base: dict[str, Any] = dict(
        fetch_allow_private=True,
        fetch_read_timeout=1.0,
        fetch_total_timeout=3.0,
        fetch_host_interval_s=0,
        fetch_max_bytes=2_000_000,
        data_dir="/tmp",
    )
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


@pytest.mark.parametrize(
    "path,permanent,needle",
    [
        ("/404", True, "HTTP 404"),
        ("/410", True, "HTTP 410"),
        ("/503", False, "HTTP 503"),
        ("/500", False, "HTTP 500"),
        ("/429", False, "HTTP 429"),
        ("/json", True, "not HTML"),
        ("/pdf", True, "not HTML"),
        ("/big", True, "too large"),
        ("/endless", True, "too large"),
        ("/gzip-bomb", True, "too large"),
        ("/loop-a", True, "redirect loop"),
        ("/hop/6", True, "more than 5 redirects"),
    ],
)
async def test_failures_are_classified(server, path, permanent, needle):
    err = await fails(fetcher(), server.url(path))
    assert err.permanent is permanent and needle in err.reason


async def test_compressed_page_is_inflated(server):
    f = fetcher()
    page = await f.fetch(server.url("/gzip"))
    await f.aclose()
    assert page.status == 200 and "Timbuktu" in page.html


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


def hits(path_prefix: str) -> list[float]:
    from tests.integration.badserver import Handler

    return [t for p, t in Handler.hits if p.startswith(path_prefix)]


async def test_robots_txt_is_obeyed_and_fetched_once_per_host(server):
    f = fetcher()
    before = len(hits("/robots.txt"))
    err = None
    try:
        await f.fetch(server.url("/private/story"))
    except FetchError as exc:
        err = exc
    page = await f.fetch(server.url("/ok"))
    await f.aclose()
    assert err is not None and err.permanent and "disallowed by robots.txt" in err.reason
    assert page.status == 200
    assert not hits("/private/")  # never requested
    assert len(hits("/robots.txt")) - before == 1  # cached for the host


async def test_robots_txt_can_be_ignored_by_setting(server):
    f = fetcher(fetch_respect_robots=False)
    page = await f.fetch(server.url("/private/story"))
    await f.aclose()
    assert page.status == 200


async def test_429_retry_after_is_reported_and_holds_back_the_host(server):
    f = fetcher(fetch_max_host_wait_s=2)
    with pytest.raises(FetchError) as err:
        await f.fetch(server.url("/429"))
    assert not err.value.permanent and err.value.retry_after_s == 7 and "Retry-After 7s" in err.value.reason
    asked = len(hits("/ok"))
    # The host asked for 7 s, more than this worker will wait: the next URL is put off, not fetched.
    with pytest.raises(FetchError) as err:
        await f.fetch(server.url("/ok"))
    await f.aclose()
    assert not err.value.permanent and "asks to wait" in err.value.reason and len(hits("/ok")) == asked


async def test_requests_to_one_host_are_spaced_and_capped():
    import asyncio

    from tests.integration.badserver import BadServer, Handler

    with BadServer() as server:
        f = fetcher(fetch_host_interval_s=0.4, fetch_host_concurrency=1)
        Handler.max_in_flight = 0
        await asyncio.gather(*(f.fetch(server.url("/pause")) for _ in range(3)))
        await f.aclose()
    starts = hits("/pause")[-3:]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # One at a time (each takes 0.3 s), and never closer than the 0.4 s interval.
    assert Handler.max_in_flight == 1 and all(g >= 0.39 for g in gaps), gaps


async def test_robots_txt_server_error_closes_the_host_for_a_while():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked: list[str] = []

    class Failing(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(503 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    f = fetcher()
    errors = []
    try:
        for path in ("/story", "/other"):
            with pytest.raises(FetchError) as err:
                await f.fetch(f"http://127.0.0.1:{httpd.server_address[1]}{path}")
            errors.append(err.value)
    finally:
        await f.aclose()
        httpd.shutdown()
        httpd.server_close()
    # RFC 9309: a 5xx robots.txt means "disallow everything for now"; asked once, not once per URL.
    assert asked == ["/robots.txt"]
    for err in errors:
        assert not err.permanent and "robots.txt answered HTTP 503" in err.reason
        assert 50 < err.retry_after_s <= 60


async def test_redirect_to_loopback_is_refused_with_the_guard_on():
    from tests.integration.badserver import BadServer

    # 127.0.0.2 stands in for a public site: allowed by name, so only the redirect's target is refused.
    with BadServer("127.0.0.2") as server:
        f = fetcher(fetch_allow_private=False, fetch_allowed_networks="127.0.0.2/32")
        page = await f.fetch(server.url("/ok"))
        with pytest.raises(FetchError) as err:
            await f.fetch(server.url("/to-loopback"))
        await f.aclose()
    assert page.status == 200
    assert err.value.permanent and "resolves to non-public address 127.0.0.1" in err.value.reason


async def test_concurrent_fetches_of_a_new_host_share_one_robots_txt_request():
    import asyncio

    from tests.integration.badserver import BadServer

    with BadServer() as server:
        f = fetcher(fetch_host_concurrency=4)
        before = len(hits("/robots.txt"))
        await asyncio.gather(*(f.fetch(server.url("/ok")) for _ in range(4)))
        await f.aclose()
    assert len(hits("/robots.txt")) - before == 1


async def test_the_connection_goes_to_the_address_that_was_checked(server):
    from newsflow.guard import guarded_transport, parse_networks

    port = int(server.url("/").rsplit(":", 1)[1].split("/")[0])
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        # A name no DNS here knows: the only way to reach it is through the address the guard checked.
        asked.append(host)
        return ["127.0.0.1"]

    settings = Settings(fetch_allow_private=False, fetch_host_interval_s=0, data_dir="/tmp")
    refused = Fetcher(settings, transport=guarded_transport(False, [], resolver))
    with pytest.raises(FetchError) as err:
        await refused.fetch(f"http://news.example:{port}/ok")
    await refused.aclose()
    allowed = Fetcher(settings, transport=guarded_transport(False, parse_networks("127.0.0.0/8"), resolver))
    page = await allowed.fetch(f"http://news.example:{port}/ok")
    await allowed.aclose()
    assert err.value.permanent and "news.example resolves to non-public address 127.0.0.1" in err.value.reason
    assert page.status == 200 and "Timbuktu" in page.html
    assert set(asked) == {"news.example"}


async def test_a_host_that_does_not_exist_fails_for_good_at_once_not_as_robots_unreachable():
    import socket

    from newsflow.guard import guarded_transport

    async def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def no_answer(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    settings = Settings(fetch_host_interval_s=0, data_dir="/tmp")
    gone = Fetcher(settings, transport=guarded_transport(False, [], nxdomain))
    err = await fails(gone, "http://no-such-host.example/a")
    assert err.permanent and "no-such-host.example does not exist" in err.reason, err.reason
    later = Fetcher(settings, transport=guarded_transport(False, [], no_answer))
    err = await fails(later, "http://slow-dns.example/a")
    assert not err.permanent
