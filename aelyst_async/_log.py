"""The library's log lines, in one home: the ``"aelyst_async"`` logger and ``AELYST_LOG``.

``AELYST_LOG=debug`` or ``info`` (read once, when the first client is made) attaches one stderr
handler to the ``"aelyst_async"`` logger, never to the root logger; unset, the library only
logs to whatever handlers the program configured. At ``debug``: one line per attempt (method,
path with identifier and query values masked by :func:`._mask.masked`, status, attempt,
milliseconds on the wire and waiting in the throttle) and every throttle decision (waits,
pauses, rate changes); at ``info``: retries and give-ups. A line never holds the token, a
header value, a query value or a body.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

from ._mask import masked

LOGGER = logging.getLogger("aelyst_async")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
FORMAT = "%(levelname)s %(name)s: %(message)s"
_configured = False


class Masked:
    """A log argument shown as :func:`masked` text, masked only if the line is emitted.

    >>> log.debug("%s waited", Masked(key))
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return masked(self.text)


class _Formatter(logging.Formatter):
    """``LEVEL logger: message``, the package's own ``aelyst_async:`` prefix said once."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace(": aelyst_async: ", ": ", 1)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``AELYST_LOG`` attaches: ``LEVEL logger: message`` lines on stderr."""

    def __init__(self, level: int) -> None:
        super().__init__(sys.stderr)
        self.setLevel(level)
        self.setFormatter(_Formatter(FORMAT))


def env_level() -> int | None:
    """The level ``AELYST_LOG`` names (any case), or None when it is unset or empty.

    Raises ValueError for another value, naming the accepted ones."""
    value = os.environ.get("AELYST_LOG", "").strip().lower()
    if not value:
        return None
    if value not in LEVELS:
        raise ValueError(f"AELYST_LOG must be one of {', '.join(LEVELS)}, not {value!r}")
    return LEVELS[value]


def handler_from_env() -> logging.Handler | None:
    """A :class:`StderrHandler` at ``AELYST_LOG``'s level, not attached (the command attaches
    it for a run), or None when it is unset; ValueError for a bad value."""
    level = env_level()
    return None if level is None else StderrHandler(level)


def configure() -> None:
    """Apply ``AELYST_LOG`` once per process (the first client calls it): attach a
    :class:`StderrHandler` to the ``"aelyst_async"`` logger, and lower that logger's level
    to it when the program set none lower. Nothing when it is unset or a handler of this
    module is already attached (the command's); a bad value warns once and is ignored."""
    global _configured
    if _configured:
        return
    _configured = True
    try:
        handler = handler_from_env()
    except ValueError as exc:
        warnings.warn(f"{exc}; the library's log lines stay off", RuntimeWarning, stacklevel=3)
        return
    if handler is None or any(isinstance(h, StderrHandler) for h in LOGGER.handlers):
        return
    LOGGER.addHandler(handler)
    if LOGGER.level == logging.NOTSET or LOGGER.level > handler.level:
        LOGGER.setLevel(handler.level)
