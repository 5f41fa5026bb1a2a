"""The client's base URL, checked once when the client is made: parsed by yarl as every request
will be, so a URL that a call could not use is refused here, naming ``base_url``.

A base URL is refused when it is not absolute http(s), holds credentials (``user:pw@``: the
API authenticates with the bearer token, so they are a mistake, and aiohttp would send them),
a query, a fragment, whitespace or a control character, when yarl cannot parse it, and when it
is plain http to a host that is not loopback. A message never shows the credentials.

>>> check_base_url("https://api.aelyst.ai/v1/")
'https://api.aelyst.ai/v1'
>>> check_base_url("https://user:pw@api.aelyst.ai/v1")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: base_url must not hold credentials ('https://***@api.aelyst.ai/v1'): ...
"""

from __future__ import annotations

import ipaddress
import re

from yarl import URL

_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:/*)[^/?#]*@")


def shown(base_url: str) -> str:
    """``base_url`` as a message may show it: credentials (``user:pw@``) as ``***@``."""
    return repr(_USERINFO.sub(r"\1***@", base_url))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """``base_url`` without its trailing ``/``, or ValueError naming ``base_url`` and what is
    wrong (see the module docstring)."""
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in base_url):
        raise ValueError(
            f"base_url must not hold whitespace or control characters: {shown(base_url)}"
        )
    stripped = base_url.rstrip("/")
    try:
        url = URL(stripped, encoded=True)  # as the transport joins it with each path
        url.explicit_port  # noqa: B018 (parsed on first use: an out-of-range port raises here)
    except ValueError as exc:
        problem = str(exc).replace(base_url, "").strip() or "yarl cannot parse it"
        raise ValueError(f"base_url is not a valid URL ({problem}): {shown(base_url)}") from None
    host = url.raw_host
    if url.scheme not in ("https", "http") or not host or not url.is_absolute():
        raise ValueError(f"base_url must be an absolute https:// URL, got {shown(base_url)}")
    if url.raw_user is not None or url.raw_password is not None or "@" in url.raw_authority:
        raise ValueError(
            f"base_url must not hold credentials ({shown(base_url)}): the API authenticates "
            "with the token; pass the base URL without user:password@"
        )
    if url.raw_query_string or url.raw_fragment or "?" in base_url or "#" in base_url:
        raise ValueError(f"base_url must not have a query or fragment, got {shown(base_url)}")
    if url.scheme == "http" and not _is_loopback(url.host or host):
        raise ValueError(
            f"base_url {shown(base_url)} uses plain http: the token would travel in clear text; "
            "use https (http is allowed only to loopback hosts)"
        )
    return stripped
