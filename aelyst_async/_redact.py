"""Keeping the API token out of every message: the token in each form a server may echo it.

A proxy or framework that echoes the ``Authorization`` header may escape it on the way. A
:class:`Redactor`, built once from the token, replaces with ``***`` every form of it:

- as given;
- JSON-escaped, wholly or character by character: ``\\/`` (PHP), ``\\u002B`` / ``\\u002b``
  (.NET), also escaped again (JSON inside JSON, up to four deep: ``\\\\u002B``, ``\\\\\\/``);
- percent-encoded, wholly or character by character, upper- or lower-case hex, also twice
  (``%2B``, ``%2b``, ``%252B``); a ``+`` of the token also as a space or ``%20`` (a query
  string echoed raw, then decoded as a form); the token itself holds no space;
- base64, standard or URL-safe, padded or not, alone or inside a longer base64 text at any
  alignment (``Basic`` credentials ``base64(user:token)``, ``base64("Bearer token")``), for a
  token long enough that the form cannot occur by chance (:data:`BASE64_MIN_CORE`).

Texts are redacted before they are cut: :meth:`Redactor.cut` redacts a window wider than the
cut by the longest form, cuts, then drops any tail that could begin a form, so no prefix of the
token or of any of its forms shows where an excerpt ends.

The redactor runs on error paths only (error bodies, headers, transport errors); its pattern
is compiled once, on the first error (making a client costs nothing).

>>> redact = Redactor("s3cr+t/tok3n==")
>>> redact('{"echo": "Bearer s3cr\\\\u002Bt\\\\/tok3n=="}')
'{"echo": "Bearer ***"}'
"""

from __future__ import annotations

import base64
import functools
import re

import attrs

REDACTED = "***"
BASE64_MIN_CORE = 8
"""Characters of a base64 form fixed by the token alone, below which it is not redacted (a
shorter run of base64 letters would match ordinary text)."""

_BACKSLASHES = r"\\{1,15}"  # an escape inside JSON inside JSON, up to four deep
_ESCAPE = re.compile(r"\\{1,15}u([0-9a-fA-F]{4})|\\{1,15}([^u\\])|%(?:25)?([0-9a-fA-F]{2})")
_DANGLING = re.compile(r"(?:\\{1,15}(?:u[0-9a-fA-F]{0,3})?|%(?:25)?[0-9a-fA-F]?)\Z")
"""An escape cut short at the end of a text: it may begin any character of a form."""
_NATURAL_END_MIN = 4
"""At the end of a whole text, a tail this long that begins a form is dropped too (a server
that cut its echo of the header short)."""
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _hex(digits: str) -> str:
    return f"(?i:{digits})" if any(c.isalpha() for c in digits) else digits


def _char_pattern(char: str) -> str:
    """One character of a form: itself, or any of its escapes."""
    utf16 = char.encode("utf-16-be")
    units = [utf16[i : i + 2].hex() for i in range(0, len(utf16), 2)]
    options = [
        re.escape(char),
        "".join(f"{_BACKSLASHES}u{_hex(unit)}" for unit in units),
        "".join(f"%(?:25)?{_hex(f'{byte:02x}')}" for byte in char.encode()),
    ]
    if not char.isalnum():
        options.append(_BACKSLASHES + re.escape(char))
    if char == "+":  # a query string's "+" read as a space, and written again
        options += [" ", "%(?:25)?20"]
    return "(?:" + "|".join(options) + ")"


def _char_width(char: str) -> int:
    """The widest escape of one character: 15 backslashes and ``u002B`` per UTF-16 unit, or
    ``%252B`` per byte."""
    return max(len(char.encode("utf-16-be")) // 2 * 20, len(char.encode()) * 5)


@attrs.frozen
class _Form:
    """One form as plain characters (each may be escaped in a text); ``edge``: the alphabet of
    one character that may stand before and after it, holding some of its bits (base64)."""

    chars: str
    edge: str = ""

    def pattern(self) -> str:
        body = "".join(_char_pattern(c) for c in self.chars)
        if not self.edge:
            return body
        edge = "[" + re.escape(self.edge) + "]"
        return f"{edge}?{body}{edge}?=*"

    def width(self) -> int:
        return sum(_char_width(c) for c in self.chars) + (4 if self.edge else 0)

    def tail_start(self, decoded: str) -> int | None:
        """Where the longest tail of ``decoded`` that begins this form (and stops short of
        its end: a whole form is redacted) starts, or None."""
        for k in range(min(len(self.chars) - 1, len(decoded)), 0, -1):
            if decoded.endswith(self.chars[:k]):
                start = len(decoded) - k
                if self.edge and start > 0 and decoded[start - 1] in self.edge:
                    start -= 1
                return start
        return None


def _base64_forms(secret: bytes) -> list[_Form]:
    """The token's base64 at each of the three alignments, standard and URL-safe: the run of
    characters that only the token's bits decide."""
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret).decode("ascii")
        core = encoded[-(-offset * 8 // 6) : (offset + len(secret)) * 8 // 6]
        if len(core) >= BASE64_MIN_CORE:
            forms.append(_Form(core, _BASE64 + "+/"))
            forms.append(_Form(core.replace("+", "-").replace("/", "_"), _BASE64 + "-_"))
    return forms


def _decoded(text: str) -> tuple[str, list[int]]:
    """``text`` with its escapes decoded, and where each decoded character starts in it."""
    chars: list[str] = []
    starts: list[int] = []
    done = 0
    for match in _ESCAPE.finditer(text):
        chars.extend(text[done : match.start()])
        starts.extend(range(done, match.start()))
        unicode, escaped, percent = match.groups()
        if unicode:
            chars.append(chr(int(unicode, 16)))
        elif escaped:
            chars.append(escaped)
        else:
            chars.append(chr(int(percent, 16)))
        starts.append(match.start())
        done = match.end()
    chars.extend(text[done:])
    starts.extend(range(done, len(text)))
    return "".join(chars).replace(" ", "+"), starts


class Redactor:
    """Replaces every form of one secret (see the module docstring) by ``***``.

    ``Redactor(None)`` (or ``""``) leaves texts as they are. Its ``repr`` never shows the
    secret.

    >>> redact = Redactor("tok+en/1234")
    >>> redact("Location: https://x.example/?t=tok%2Ben%2F1234")
    'Location: https://x.example/?t=***'
    >>> redact.cut("a" * 50 + " tok", 52)
    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ', True)
    """

    def __init__(self, secret: str | None) -> None:
        self._forms = [_Form(secret), *_base64_forms(secret.encode())] if secret else []

    @functools.cached_property
    def widest(self) -> int:
        """The most characters one form of the secret can take in a text."""
        return max((form.width() for form in self._forms), default=0)

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        # compiled on the first error (some 20 ms), never when a client is made
        joined = "|".join(f"(?:{form.pattern()})" for form in self._forms)
        return re.compile(joined) if joined else None

    def __repr__(self) -> str:
        return f"<Redactor {'***' if self._forms else 'nothing'}>"

    def __call__(self, text: str) -> str:
        """``text`` with every form of the secret replaced by ``***``."""
        return text if self._pattern is None else self._pattern.sub(REDACTED, text)

    def cut(self, text: str, limit: int) -> tuple[str, bool]:
        """At most ``limit`` characters of ``text``, redacted before cutting, and whether
        anything was left out. Where it was cut, any tail that could begin a form of the
        secret is left out too (and a ``***`` is never cut in two); at the end of the whole
        text, such a tail of 4 or more characters (an echo the server cut short)."""
        window = text[: limit + self.widest]
        cut = len(window) < len(text)
        kept = self._drop_partial(window, 1 if cut else _NATURAL_END_MIN)
        shown = self(kept)
        if len(shown) > limit:
            split = shown.find(REDACTED, limit - len(REDACTED) + 1, limit + len(REDACTED) - 1)
            shown = self._drop_partial(shown[: split if 0 <= split < limit else limit], 1)
            cut = True
        return shown, cut or len(kept) < len(window)

    def excerpt(self, text: str, limit: int) -> str:
        """:meth:`cut`, with ``...`` where something was left out.

        >>> Redactor("tok+en/1234").excerpt("cursor-tok%2Ben%2F1234-and-more", 12)
        'cursor-***-a...'
        """
        shown, cut = self.cut(text, limit)
        return shown + ("..." if cut else "")

    def _drop_partial(self, text: str, least: int) -> str:
        """``text`` without its tail while that tail (``least`` characters or more) could
        begin a form of the secret: an escape cut short, or the first characters of a form."""
        while self._forms:
            dangling = _DANGLING.search(text)
            start = len(text) if dangling is None else dangling.start()
            decoded, starts = _decoded(text[:start])
            for form in self._forms:
                begins = form.tail_start(decoded)
                if begins is not None:
                    start = min(start, starts[begins])
            if len(text) - start < least:
                break
            text = text[:start]
        return text


NOTHING = Redactor(None)
"""A redactor with no secret: leaves every text as it is."""
