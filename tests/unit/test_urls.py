import pytest

from newsflow.urls import InvalidUrl, article_id, canonicalize, id_for_url


def test_canonical_form_drops_tracking_fragment_and_case():
    assert (
        canonicalize("HTTPS://WWW.Example.COM/a/b?utm_source=x&fbclid=y&page=2#top")
        == "https://www.example.com/a/b?page=2"
    )


def test_id_is_stable_across_spellings_of_the_same_url():
    a, _ = id_for_url("https://example.com/story?utm_medium=social")
    b, _ = id_for_url("https://EXAMPLE.com/story#comments")
    assert a == b == article_id("https://example.com/story")
    assert a != id_for_url("https://example.com/other")[0]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a url",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https://",
        "http://exa mple.com/",
        "https://example.com:99999/",
        "https://x.com/" + "a" * 3000,
        b"https://x.com/\xff".decode("utf-8", "replace"),
    ],
)
def test_invalid_urls_are_refused_with_a_reason(bad):
    with pytest.raises(InvalidUrl) as err:
        canonicalize(bad)
    assert str(err.value)
