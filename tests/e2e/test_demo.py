"""`newsflow demo`, as a newcomer runs it: the pushed page and the feed's two stories indexed, the two bad
URLs dead-lettered, exit 0; run again, the feed's stories are not pushed twice."""

from __future__ import annotations

import pytest

from tests.e2e.running import run, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


def test_the_demo_pushes_a_page_and_follows_a_feed(tmp_path):
    env = stack_env(tmp_path)
    first = run(env, "demo", "--timeout", "120", timeout=300)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout
    assert "/feed.xml: the discover stage polls it" in out
    assert "3 article(s)" in out
    for page in ("courier-brazil-floods.html", "courier-spain-heatwave.html"):
        assert any(
            page in line and "from the feed's addition to searchable" in line for line in out.splitlines()
        )
    assert "from push to searchable" in out and "dw-mali-russia.html" in out
    assert "not HTML: content-type application/json" in out and "HTTP 404" in out
    assert ":***@" in out  # the Redis URL is shown without its password

    again = run(env, "demo", "--timeout", "120", timeout=300)
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.stdout.count("in the store from an earlier demo") == 2
