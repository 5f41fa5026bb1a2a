"""The Redactor alone: every form of the token is replaced, and a cut never shows its start."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aelyst_async._redact import NOTHING, Redactor
from aelyst_async._sansio.response import excerpt

# tokens with the characters that have escapes: + / = (and - _ of the URL-safe alphabet),
# quotes, ampersands and angle brackets (HTML), non-ASCII (UTF-8 bytes, UTF-16 surrogates)
TOKENS = [
    "s3cr+t/tok3n==",
    "A+b/C=d+E/f=g+H/i=",
    "tok_en-1234+/=abcdef",
    'abc"def&ghi12345',
    "q'u\"o<t>e&amp+/=x9",
    "tok\u00e9n\u00fc\u20ac\U0001f600ab12345678",
]
TOKEN = TOKENS[0]


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}|\\u[0-9A-F]{4}", lambda m: m.group().lower(), text)


def _xml(text: str) -> str:
    return html.escape(text, quote=False).replace('"', "&quot;").replace("'", "&apos;")


def _octal(text: str) -> str:
    return "".join(chr(b) if b < 128 and chr(b).isalnum() else f"\\{b:03o}" for b in text.encode())


def _each_char_unicode(text: str, upper: bool) -> str:
    """Every UTF-16 unit as ``\\uXXXX`` (a surrogate pair beyond the BMP)."""
    utf16 = text.encode("utf-16-be")
    units = [utf16[i : i + 2].hex() for i in range(0, len(utf16), 2)]
    return "".join(f"\\u{unit.upper() if upper else unit}" for unit in units)


FORMS: dict[str, Callable[[str], str]] = {
    "as given": lambda t: t,
    "JSON, PHP (\\/)": lambda t: json.dumps(t).strip('"').replace("/", "\\/"),
    "JSON, .NET (\\u002B)": lambda t: t.replace("+", "\\u002B").replace("=", "\\u003D"),
    "JSON, lower-case \\u": lambda t: t.replace("+", "\\u002b").replace("/", "\\u002f"),
    "JSON, every character \\uXXXX": lambda t: _each_char_unicode(t, upper=True),
    "JSON, every character \\uxxxx": lambda t: _each_char_unicode(t, upper=False),
    "JSON inside JSON": lambda t: json.dumps(t.replace("/", "\\/").replace("+", "\\u002B"))[1:-1],
    "JSON, ES6 \\u{...}": lambda t: "".join(f"\\u{{{ord(c):x}}}" for c in t),
    "JSON, ensure_ascii (surrogate pairs)": lambda t: json.dumps(t)[1:-1],
    "HTML-escaped": html.escape,
    "HTML-escaped twice": lambda t: html.escape(html.escape(t)),
    "XML-escaped (&apos;)": _xml,
    "HTML, every character &#NN;": lambda t: "".join(f"&#{ord(c)};" for c in t),
    "HTML, every character &#xNN;": lambda t: "".join(f"&#X{ord(c):04X};" for c in t),
    "HTML, unterminated &#NN": lambda t: "".join(f"&#{ord(c)}" if c in "&<>\"'" else c for c in t),
    "HTML, its & JSON-escaped (Go)": lambda t: html.escape(t).replace("&", "\\u0026"),
    "Python bytes repr": lambda t: repr(t.encode())[2:-1],
    "Python bytes repr, repr again": lambda t: repr(repr(t.encode())[2:-1])[1:-1],
    "Python str repr": lambda t: repr(t)[1:-1],
    "Python ascii()": lambda t: ascii(t)[1:-1],
    "octal bytes": _octal,
    "UTF-8 read as Latin-1": lambda t: t.encode().decode("latin-1"),
    "upper-cased": str.upper,
    "naive \\u of each code point": lambda t: "".join(f"\\u{ord(c):04x}" for c in t),
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


ESCAPED = [
    "HTML-escaped",
    "HTML-escaped twice",
    "HTML, every character &#xNN;",
    "HTML, its & JSON-escaped (Go)",
    "JSON, ensure_ascii (surrogate pairs)",
    "JSON, ES6 \\u{...}",
    "Python bytes repr",
    "Python ascii()",
    "octal bytes",
    "UTF-8 read as Latin-1",
    "upper-cased",
]


@pytest.mark.parametrize("token", TOKENS[3:])
@pytest.mark.parametrize("name", ESCAPED)
def test_an_escaped_echo_the_server_cut_short_hides_its_start(token: str, name: str) -> None:
    form, redact = FORMS[name](token), Redactor(token)
    for length in range(4, len(form)):
        shown, cut = redact.cut("error: Bearer " + form[:length], 1000)
        if form[length:] == ";":  # the last reference is whole without its ";"
            assert shown == "error: Bearer ***"
            continue
        assert shown == "error: Bearer ", (length, shown)
        assert cut


def test_a_cut_never_splits_the_redaction_mark() -> None:
    text = "x" * 10 + TOKEN + "y" * 10
    for limit in range(10, 17):
        shown, cut = Redactor(TOKEN).cut(text, limit)
        assert cut
        assert shown == ("x" * 10 if limit < 13 else "x" * 10 + "***" + "y" * (limit - 13))


JUNK = st.text(alphabet="xyz s3Q+/= {}:\"'\\%é\U0001d11e&#;<", max_size=60)
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
