"""Keeping the API token out of every message: the token in each form a server may echo it.

A proxy or framework that echoes the ``Authorization`` header may escape it on the way. A
:class:`Redactor`, built once from the token, replaces with ``***`` every form of it:

- as given;
- JSON-escaped, wholly or character by character: ``\\/`` (PHP), ``\\u002B`` / ``\\u002b``
  (.NET), ``\\u{2b}`` (ES6), also escaped again (JSON inside JSON, up to four deep:
  ``\\\\u002B``, ``\\\\\\/``);
- escaped as a Python, C or JavaScript literal: ``\\xc3\\xa9`` (a ``bytes`` repr: each UTF-8
  byte), ``\\xe9`` / ``\\U0001f600`` (a ``str`` repr or ``ascii()``), ``\\303\\251`` (octal),
  ``\\'`` (a quote in a repr);
- its UTF-8 bytes read as Latin-1 (``tokÃ©n``: a header value decoded as ISO-8859-1);
- HTML- or XML-escaped: named (``&quot;`` ``&amp;`` ``&apos;`` ``&lt;``, any HTML5 name, with or
  without ``;``) or numeric (``&#39;`` ``&#x27;``, any case, leading zeros), also escaped again
  (``&amp;quot;``) or with its ``&`` JSON-escaped (``\\u0026quot;``, Go);
- percent-encoded, wholly or character by character, upper- or lower-case hex, also twice
  (``%2B``, ``%2b``, ``%252B``); a ``+`` of the token also as a space or ``%20`` (a query
  string echoed raw, then decoded as a form); the token itself holds no space;
- base64, standard or URL-safe, padded or not, alone or inside a longer base64 text at any
  alignment (``Basic`` credentials ``base64(user:token)``, ``base64("Bearer token")``), for a
  token long enough that the form cannot occur by chance (:data:`BASE64_MIN_CORE`).

Every form is matched in any case (a server that upper-cased its echo). Texts are redacted
before they are cut: :meth:`Redactor.cut` redacts a window wider than the
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
import html.entities
import itertools
import re

import attrs

REDACTED = "***"
BASE64_MIN_CORE = 8
"""Characters of a base64 form fixed by the token alone, below which it is not redacted (a
shorter run of base64 letters would match ordinary text)."""

_BACKSLASHES = r"\\{1,15}"  # an escape inside JSON inside JSON, up to four deep
_AMP = r"(?:&(?:amp;){0,3}|\\{1,15}u0026)"  # the "&" of an entity: also escaped again
_AMP_WIDTH = 20  # 15 backslashes and u0026


def _byte(first: str, second: str, octal: str) -> str:
    """One byte escaped: ``\\xc3``, ``%C3`` or ``\\303`` (hex digits and octal given)."""
    return f"(?:{_BACKSLASHES}x{first}{second}|%(?:25)?{first}{second}|{_BACKSLASHES}{octal})"


_CONTINUATION = _byte("[89abAB]", "[0-9a-fA-F]", "2[0-7][0-7]")
_UTF8_CUT_SHORT = (
    f"(?:{_byte('[cCdD]', '[0-9a-fA-F]', '3[0-3][0-7]')}"
    f"|{_byte('[eE]', '[0-9a-fA-F]', '3[45][0-7]')}{_CONTINUATION}?"
    f"|{_byte('[fF]', '[0-7]', '36[0-7]')}{_CONTINUATION}{{0,2}})"
)
_SHORT_ESCAPE = re.compile(
    r"[\\%&]*(?:\\{1,15}u[dD][89abAB][0-9a-fA-F]{2}(?:\\{1,15}(?:u[0-9a-fA-F]{0,3})?)?"
    rf"|{_UTF8_CUT_SHORT}?(?:\\{{1,15}}"
    r"(?:u[0-9a-fA-F]{0,3}|u\{[0-9a-fA-F]{0,6}|U[0-9a-fA-F]{0,7}|x[0-9a-fA-F]?|[0-3][0-7]?)?"
    r"|%(?:25)?[0-9a-fA-F]?)"
    rf"|{_UTF8_CUT_SHORT}|{_AMP}(?:#[xX]?[0-9a-fA-F]{{0,8}}|[a-zA-Z][a-zA-Z0-9]{{0,31}})?)"
    "|[\xc0-\xdf]|[\xe0-\xef][\x80-\xbf]?|[\xf0-\xf7][\x80-\xbf]{0,2}"  # read as Latin-1
)
"""An escape cut short (at the end of a text): it may begin any character of a form. Also a
UTF-8 sequence of byte escapes (or its bytes read as Latin-1) cut short, and a high
surrogate ``\\ud83d`` alone."""
_TAIL_REACH = 64
"""The longest escape cut short that a cut looks for at the end of a text."""
_DROPS_BEFORE_REACH = 16
_NATURAL_END_MIN = 4
"""At the end of a whole text, a tail this long that begins a form is dropped too (a server
that cut its echo of the header short)."""
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@functools.cache
def _entity_names() -> dict[str, list[str]]:
    """Each character's HTML5 entity names (without ``;``), longest first."""
    names: dict[str, set[str]] = {}
    for name, value in html.entities.html5.items():
        if len(value) == 1:
            names.setdefault(value, set()).add(name.rstrip(";"))
    return {char: sorted(found, key=len, reverse=True) for char, found in names.items()}


def _hex(digits: str) -> str:
    """Hex digits in either case."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in digits)


@functools.cache
def _char_pattern(char: str) -> str:
    """One character of a form: itself, or any of its escapes (grouped by how they begin:
    fewer branches compile and match faster)."""
    code, utf8 = ord(char), char.encode()
    utf16 = char.encode("utf-16-be")
    units = [utf16[i : i + 2].hex() for i in range(0, len(utf16), 2)]
    after_backslash = [
        "u" + f"{_BACKSLASHES}u".join(_hex(unit) for unit in units),
        rf"u\{{0*{_hex(f'{code:x}')}\}}",
        f"U{_hex(f'{code:08x}')}",
        "x" + f"{_BACKSLASHES}x".join(_hex(f"{byte:02x}") for byte in utf8),
        _BACKSLASHES.join(f"{byte:03o}" for byte in utf8),
    ]
    if 0x80 <= code < 0x100:  # a str repr: \xe9
        after_backslash.append(f"x{_hex(f'{code:02x}')}")
    if code > 0xFFFF:  # a naive encoder's \u1f600 (not JSON: it reads as two characters)
        after_backslash.append(f"u{_hex(f'{code:x}')}")
    if not char.isalnum():
        after_backslash.append(re.escape(char))
    after_amp = [f"#(?:0{{0,4}}{code}|[xX]0{{0,4}}{_hex(f'{code:x}')});?"]
    names = _entity_names().get(char)
    if names:
        after_amp.append(f"(?:{'|'.join(names)});?")
    options = [
        re.escape(char),
        f"{_BACKSLASHES}(?:{'|'.join(after_backslash)})",
        f"{_AMP}(?:{'|'.join(after_amp)})",
        "".join(f"%(?:25)?{_hex(f'{byte:02x}')}" for byte in utf8),
    ]
    if code >= 0x80:  # its UTF-8 bytes read as Latin-1 (a header, a double encoding)
        options.append(re.escape(utf8.decode("latin-1")))
    if char == "+":  # a query string's "+" read as a space, and written again
        options += [" ", "%(?:25)?20"]
    return "(?:" + "|".join(options) + ")"


def _char_width(char: str) -> int:
    """The widest escape of one character: 15 backslashes and ``u002B`` per UTF-16 unit,
    ``%252B`` or 15 backslashes and ``xc3`` per UTF-8 byte, 15 backslashes and ``U`` and 8
    digits, or an entity whose ``&`` is escaped."""
    utf8 = len(char.encode())
    names = _entity_names().get(char, [])
    return max(
        len(char.encode("utf-16-be")) // 2 * 20,
        utf8 * 18,
        24,
        _AMP_WIDTH + max([len(f"#x0000{ord(char):x};"), *(len(n) + 1 for n in names)]),
    )


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

    def tail_pattern(self) -> str:
        """A tail of a text that begins this form and stops short of its end (a whole form
        is redacted): its first characters, each one after the first optional at the end of
        the text (one flat pattern, no nesting)."""
        chars = [_char_pattern(c) for c in self.chars[:-1]]
        edge = "[" + re.escape(self.edge) + "]?" if self.edge else ""
        return edge + chars[0] + "".join(f"(?:{c}|\\Z)" for c in chars[1:]) + "\\Z"


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
        # compiled on the first error (25 to 105 ms), never when a client is made
        joined = "|".join(f"(?:{form.pattern()})" for form in self._forms)
        return re.compile(joined, re.IGNORECASE) if joined else None

    @functools.cached_property
    def _tail(self) -> re.Pattern[str] | None:
        forms = [form.tail_pattern() for form in self._forms if len(form.chars) > 1]
        return re.compile("|".join(forms), re.IGNORECASE) if forms else None

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
        redacted = self(window)  # first: a whole form is *** even where an escape is ambiguous
        shown = self._drop_partial(redacted, 1 if cut else _NATURAL_END_MIN)
        cut = cut or len(shown) < len(redacted)
        if len(shown) > limit:
            split = shown.find(REDACTED, limit - len(REDACTED) + 1, limit + len(REDACTED) - 1)
            shown = self._drop_partial(shown[: split if 0 <= split < limit else limit], 1)
            cut = True
        return shown, cut

    def excerpt(self, text: str, limit: int) -> str:
        """:meth:`cut`, with ``...`` where something was left out.

        >>> Redactor("tok+en/1234").excerpt("cursor-tok%2Ben%2F1234-and-more", 12)
        'cursor-***-a...'
        """
        shown, cut = self.cut(text, limit)
        return shown + ("..." if cut else "")

    def _tail_start(self, text: str) -> int | None:
        """Where the longest tail of ``text`` that could begin a form starts: an escape cut
        short, the first characters of a form, or both; None when there is none."""
        found = None
        ends = [len(text)]  # the end, and where each escape cut short at the end starts
        for start in range(max(0, len(text) - _TAIL_REACH), len(text)):
            # within a run of "\\", "%" or "&" only its first one can end a form's characters
            if _SHORT_ESCAPE.fullmatch(text, start) and (
                found is None or text[start - 1] not in "\\%&"
            ):
                found = start if found is None else found
                ends.append(start)
        if self._tail is not None:
            for end in ends:
                tail = self._tail.search(text, max(0, end - self.widest), end)
                if tail is not None and (found is None or tail.start() < found):
                    found = tail.start()
        return found

    def _drop_partial(self, text: str, least: int) -> str:
        """``text`` without its tail while that tail (``least`` characters or more) could
        begin a form of the secret: an escape cut short, or the first characters of a form."""
        for drops in itertools.count(1):
            start = self._tail_start(text) if self._forms else None
            if start is None or len(text) - start < least:
                break
            # a text made of such tails (hostile): past a few, drop a form's width at once
            back = self.widest if drops % _DROPS_BEFORE_REACH == 0 else 0
            text = text[: max(0, start - back)]
        return text


NOTHING = Redactor(None)
"""A redactor with no secret: leaves every text as it is."""
