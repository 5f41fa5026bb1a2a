"""The Redactor alone: every form of the token is replaced, and a cut never shows its start."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aelyst_async._redact import NOTHING, Redactor
from aelyst_async._sansio.response import excerpt

# tokens with the characters that have escapes: + / = (and - _ of the URL-safe alphabet)
TOKENS = ["s3cr+t/tok3n==", "A+b/C=d+E/f=g+H/i=", "tok_en-1234+/=abcdef"]
TOKEN = TOKENS[0]


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}|\\u[0-9A-F]{4}", lambda m: m.group().lower(), text)


def _each_char_unicode(text: str, upper: bool) -> str:
    return "".join(f"\\u{ord(c):04X}" if upper else f"\\u{ord(c):04x}" for c in text)


FORMS: dict[str, Callable[[str], str]] = {
    "as given": lambda t: t,
    "JSON, PHP (\\/)": lambda t: json.dumps(t).strip('"').replace("/", "\\/"),
    "JSON, .NET (\\u002B)": lambda t: t.replace("+", "\\u002B").replace("=", "\\u003D"),
    "JSON, lower-case \\u": lambda t: t.replace("+", "\\u002b").replace("/", "\\u002f"),
    "JSON, every character \\uXXXX": lambda t: _each_char_unicode(t, upper=True),
    "JSON, every character \\uxxxx": lambda t: _each_char_unicode(t, upper=False),
    "JSON inside JSON": lambda t: json.dumps(t.replace("/", "\\/").replace("+", "\\u002B"))[1:-1],
    "percent-encoded": lambda t: quote(t, safe=""),
    "percent-encoded, lower-case hex": lambda t: _lower_hex(quote(t, safe="")),
    "percent-encoded, every character": lambda t: "".join(f"%{b:02X}" for b in t.encode()),
    "percent-encoded twice": lambda t: quote(quote(t, safe=""), safe=""),
    "form-encoded": lambda t: quote_plus(t),
    "query read as a form (+ as a space)": lambda t: t.replace("+", " "),
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "base64, URL-safe, unpadded": lambda t: (
        base64.urlsafe_b64encode(t.encode()).decode("ascii").rstrip("=")
    ),
    "base64 of Bearer": lambda t: base64.b64encode(f"Bearer {t}".encode()).decode(),
    "Basic base64(user:token)": lambda t: base64.b64encode(f"user:{t}".encode()).decode(),
    "Basic base64(ab:token)": lambda t: base64.b64encode(f"ab:{t}".encode()).decode(),
}


def token_bits_in(text: str, token: str) -> list[str]:
    """The forms of ``token`` found in ``text`` (none, once redacted)."""
    return [name for name, form in FORMS.items() if form(token) in text]


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("name", list(FORMS))
def test_every_form_is_redacted_in_any_text(token: str, name: str) -> None:
    form = FORMS[name](token)
    assert form != "***"
    text = f'{{"message": "bad header: Bearer {form}", "echo": "{form}"}}'
    redacted = Redactor(token)(text)
    assert token_bits_in(redacted, token) == []
    assert redacted.count("***") == 2
    assert redacted.startswith('{"message": "bad header: ')


def test_text_without_the_token_is_left_as_it_is() -> None:
    text = "Not found: id 7 (s3cr, tok3n, %2B, \\/, dG9r)"
    assert Redactor(TOKEN)(text) == text
    assert NOTHING(f"Bearer {TOKEN}") == f"Bearer {TOKEN}"
    assert TOKEN not in repr(Redactor(TOKEN))


def test_a_short_token_has_no_base64_forms_that_would_match_by_chance() -> None:
    redact = Redactor("ab+c")
    assert redact("YWIrYw== and ab%2Bc") == "YWIrYw== and ***"


def test_the_excerpt_of_a_body_cut_at_800_bytes_shows_no_start_of_the_token() -> None:
    # 198 four-byte characters are 792 bytes: an 800-byte window ends 8 bytes into the token
    body = ("\U0001d11e" * 198 + TOKEN + " and the rest").encode()
    shown = excerpt(body, redact=Redactor(TOKEN))
    assert "s3" not in shown and "\\U0001d11e" in shown and shown.endswith("...")


@pytest.mark.parametrize("name", ["as given", "JSON, every character \\uXXXX", "percent-encoded"])
def test_a_cut_inside_an_echo_the_server_cut_short_hides_its_start(name: str) -> None:
    form = FORMS[name](TOKEN)
    for length in range(4, len(form)):
        shown, cut = Redactor(TOKEN).cut("error: Bearer " + form[:length], 1000)
        assert shown == "error: Bearer ", (length, shown)
        assert cut


def test_a_cut_never_splits_the_redaction_mark() -> None:
    text = "x" * 10 + TOKEN + "y" * 10
    for limit in range(10, 17):
        shown, cut = Redactor(TOKEN).cut(text, limit)
        assert cut
        assert shown == ("x" * 10 if limit < 13 else "x" * 10 + "***" + "y" * (limit - 13))


JUNK = st.text(alphabet="xyz s3Q+/= {}:\"'\\%é\U0001d11e", max_size=60)
STARTING_WITH_THE_TOKEN = [n for n in FORMS if "Bearer" not in n and "Basic" not in n]


@settings(max_examples=150, deadline=None)
@given(
    token=st.sampled_from(TOKENS),
    name=st.sampled_from(STARTING_WITH_THE_TOKEN),
    before=JUNK,
    after=JUNK,
    limit=st.integers(min_value=1, max_value=120),
)
def test_no_cut_shows_a_start_of_a_form(
    token: str, name: str, before: str, after: str, limit: int
) -> None:
    form = FORMS[name](token)
    shown, cut = Redactor(token).cut(before + form + after, limit)
    assert len(shown) <= limit
    assert token_bits_in(shown, token) == []
    if cut:  # nothing shown ends with the first characters of the form
        assert not any(shown.endswith(form[:k]) for k in range(1, len(form)))
