"""The base URL, checked once when the client is made (parsed by yarl as each request will be):
credentials refused and never shown, a URL a call could not use refused naming base_url."""

from __future__ import annotations

import traceback

import pytest

from aelyst_async import AelystClient

TOKEN = "tok-base-url-1234"


def _refusal(base_url: str) -> str:
    """The message and formatted chain of the ValueError that refuses ``base_url``."""
    with pytest.raises(ValueError, match="base_url") as info:
        AelystClient(TOKEN, base_url=base_url)
    error = info.value
    return "\n".join([repr(error), *traceback.format_exception(type(error), error, None)])


@pytest.mark.parametrize(
    "url",
    [
        "http://someuser:s3cretpw@127.0.0.1/v1",
        "https://someuser:s3cretpw@api.aelyst.ai/v1",
        "https://s3cretpw@api.aelyst.ai/v1",
        "https://:s3cretpw@api.aelyst.ai/v1",
        "http://someuser%3As3cretpw@localhost:8080/v1",
    ],
)
def test_credentials_in_the_base_url_are_refused_and_never_shown(url: str) -> None:
    shown = _refusal(url)
    assert "base_url must not hold credentials" in shown
    assert "***@" in shown
    assert "s3cretpw" not in shown and "someuser" not in shown


def test_credentials_from_the_environment_are_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AELYST_BASE_URL", "https://someuser:s3cretpw@api.aelyst.ai/v1")
    with pytest.raises(ValueError, match="base_url must not hold credentials") as info:
        AelystClient(TOKEN)
    assert "s3cretpw" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://x\\@127.0.0.1/v1", "backslash"),
        ("https://api.aelyst.ai:99999/v1", "Port out of range"),
        ("https://api.aelyst.ai:abc/v1", "port"),
        ("https://api.aelyst.ai/v1 ", "whitespace"),
        ("https://api.aelyst.ai\n/v1", "control characters"),
        ("https://api.aelyst.ai/v1?x=1", "query or fragment"),
        ("https://api.aelyst.ai/v1#top", "query or fragment"),
        ("https:///v1", "absolute https:// URL"),
    ],
)
def test_a_base_url_a_call_could_not_use_is_refused_at_construction(url: str, problem: str) -> None:
    shown = _refusal(url)
    assert "base_url" in shown and problem in shown
    assert "yarl" not in shown.split("ValueError", 1)[0]  # no cause chain: one clear error


def test_the_backslash_user_part_is_not_shown() -> None:
    shown = _refusal("http://s3cretpw\\@127.0.0.1/v1")
    assert "backslash" in shown and "s3cretpw" not in shown


@pytest.mark.parametrize(
    "url",
    ["https://api.aelyst.ai/v1", "https://[::1]:8443/v1", "http://localhost:8080/v1"],
)
def test_good_base_urls_are_kept_and_shown_as_given(url: str) -> None:
    client = AelystClient(TOKEN, base_url=url + "/")
    assert client.base_url == url
    assert repr(client) == f"<AelystClient base_url={url!r} token=***>"
