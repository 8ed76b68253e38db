import pytest

from newsflow.guard import is_public_address
from newsflow.ingest.fetch import decode_html


@pytest.mark.parametrize(
    "address,public",
    [
        ("93.184.216.34", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("::ffff:127.0.0.1", False),
        ("100.64.0.1", False),
        ("2606:4700:4700::1111", True),
        # IPv6 forms of an IPv4 address are judged by it: 6to4, NAT64, IPv4-compatible, Teredo's client
        ("2002:7f00:1::1", False),
        ("2002:808:808::1", True),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::808:808", True),
        ("::127.0.0.1", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo client 10.0.0.1
        ("fec0::1", False),  # site-local
    ],
)
def test_public_address_check(address, public):
    assert is_public_address(address) is public


def test_utf8_bytes_win_over_a_wrong_latin1_declaration():
    body = "<html><head><meta charset='iso-8859-1'></head><body>Zürich – Genève</body></html>".encode()
    text, enc = decode_html(body, "iso-8859-1")
    assert "Zürich – Genève" in text and enc == "utf-8"


def test_latin1_page_without_declaration_is_detected():
    body = (
        "<html><body>" + "Les élèves français à Besançon, où l'été est chaud. " * 20 + "</body></html>"
    ).encode("cp1252")
    text, _ = decode_html(body, None)
    assert "élèves français à Besançon" in text


def test_declared_charset_used_when_bytes_are_not_utf8():
    body = "<html><body>Привет, мир</body></html>".encode("koi8-r")
    text, enc = decode_html(body, "koi8-r")
    assert "Привет, мир" in text and enc == "koi8-r"
