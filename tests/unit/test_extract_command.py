"""`newsflow extract` on saved files: what is no HTML page is refused with the worker's reason, exit 1."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from newsflow.cli.app import app
from tests.conftest import PAGES


def test_a_pdf_is_refused_as_the_worker_refuses_it_and_the_html_page_still_comes_out(tmp_path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    page = PAGES / "dw-mali-russia.html"
    result = CliRunner().invoke(app, ["extract", str(pdf), str(page)])
    assert result.exit_code == 1
    assert f"{pdf}: not HTML: content-type application/pdf" in result.stderr
    articles = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [a["title"] for a in articles] == ["Russian military advisers arrive in Mali"]


def test_a_file_of_unknown_type_needs_an_html_tag(tmp_path):
    blob = tmp_path / "dump"
    blob.write_bytes(b"just some bytes\x00\x01 and no markup at all")
    result = CliRunner().invoke(app, ["extract", str(blob)])
    assert result.exit_code == 1
    assert "not HTML: no content-type and no <html> tag" in result.stderr
    assert result.stdout.strip() == ""
