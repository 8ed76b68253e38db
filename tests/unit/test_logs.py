"""Log lines go to the stderr of the moment they are written."""

from __future__ import annotations

import io
import json
import sys

from newsflow.logs import configure_logging, get_logger


def test_a_log_line_goes_to_the_current_stderr_even_after_the_first_one_was_closed(monkeypatch):
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info", "json")
    log = get_logger("test")
    log.info("written_first", n=1)
    assert json.loads(first.getvalue())["event"] == "written_first"
    first.close()  # as a CLI runner closes its stream
    monkeypatch.setattr(sys, "stderr", second)
    log.info("written_second", n=2)  # with the stream bound at set-up, this raised ValueError
    assert json.loads(second.getvalue())["n"] == 2
