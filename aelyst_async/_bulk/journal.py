"""The bulk-upsert journal: one JSON line per outcome, matched by content, locked while in use.

The first line marks the file as a journal; each following line records one outcome::

    {"journal": "aelyst_async.bulk", "version": 3}
    {"key": "5f0c...", "index": 0, "identifier": "email:ana@example.com", "ok": true,
     "contact_id": 7, "attempts": 1}
    {"key": "9a1e...", "index": 1, "identifier": "phone:+351912345678", "ok": false,
     "attempts": 6, "error": {"type": "ServerError", "message": "...", "status": 500}}

``key`` is a strong hash (BLAKE2b, 128 bits) of the canonical JSON of the item's identifier and
wire body (and what else is done with it), so a resume matches items by what they say, not where
they are: editing, reordering or deleting items never re-sends one that succeeded and never skips
one that changed; a new optional field of the models does not change a key. For one key the
last record wins (items of one identifier are journaled in input order).

Before a send whose repetition could create a second contact (a re-keying upsert), a version-3
journal records the item as in flight, with the contacts that held the new email or phone::

    {"key": "7b21...", "index": 2, "identifier": "email:old@example.com", "in_flight": true,
     "holders": [4], "sent_at": 1764900000.5}

until a success record of the key follows, a resumed run looks such an item up before sending
it again (:meth:`in_doubt`).

A journal of version 2 (the previous release: keys hashed the contact's repr) is read and
appended to as version 2 (``legacy``): its items keep their keys, so none is sent again.

Every line is flushed as it is written. A half-written last line (the process was killed) is cut
off before anything is appended. The file is locked (``flock``) while a run uses it: a second
run on it fails with :class:`JournalError`. The token is never written: records hold the
identifier, the contact id and the error's type and (already redacted) message, never a body.

Resuming holds about 150 bytes per journaled success in memory.

>>> with Journal.open("import.journal") as journal:    # created when missing
...     journal.succeeded(key)                             # contact id, or MISSING
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from types import TracebackType
from typing import IO, Any, Final

from .._errors import AelystError, APIError, ContactValidationError, JournalError
from ..types.bulk import BulkOutcome

log = logging.getLogger("aelyst_async.bulk")

JOURNAL_MARK = "aelyst_async.bulk"
JOURNAL_VERSION = 3
LEGACY_VERSION = 2
"""The previous format (keys of the contact's repr), still read and appended to."""
MAX_LINE = 1 << 20
"""Bytes a record line may have; a longer one is corruption."""
MAX_INT = 2**63 - 1
MISSING: Final = object()
"""What :meth:`Journal.succeeded` returns for a key not recorded as succeeded."""

PathLike = str | os.PathLike[str]


def outcome_record(outcome: BulkOutcome, key: str | None = None) -> dict[str, Any]:
    """The JSON record of one outcome (never a request body, never the token)."""
    record: dict[str, Any] = {"key": key} if key is not None else {}
    record.update(index=outcome.index, identifier=outcome.identifier, ok=outcome.ok)
    if outcome.ok:
        record["contact_id"] = outcome.contact_id
    record["attempts"] = outcome.attempts
    if outcome.error is not None:
        record["error"] = error_record(outcome.error)
    return record


def error_record(error: AelystError) -> dict[str, Any]:
    """``{"type", "message"}`` of an error, with ``status`` or the validation ``problems``."""
    message = error.message if isinstance(error, APIError) else str(error)
    record: dict[str, Any] = {"type": type(error).__name__, "message": message}
    if isinstance(error, APIError):
        record["status"] = error.status
    if isinstance(error, ContactValidationError):
        record["problems"] = [{"field": p.field, "problem": p.problem} for p in error.errors]
    return record


def _lock(file: IO[bytes], path: str) -> None:
    """Take an exclusive, non-blocking lock on ``file`` (released when it is closed)."""
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise JournalError(
            f"the journal {path!r} is in use by another run (two runs on one journal would "
            "send rows twice); wait for it to end or use another --journal file"
        ) from None


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT


class Journal:
    """An open, locked journal: the keys it records as succeeded, and an appender.

    Use :meth:`open`; close it (or use ``with``) to release the lock.
    """

    def __init__(self, path: str, file: IO[bytes]) -> None:
        self.path = path
        self._file: IO[bytes] | None = file
        self._succeeded: dict[bytes, int | None] = {}
        self._in_doubt: dict[bytes, tuple[frozenset[int] | None, float]] = {}
        self.legacy = False
        """True for a journal of version 2: its items are keyed as that version keyed them."""

    @classmethod
    def open(cls, path: PathLike) -> Journal:
        """Open (or create) and lock the journal at ``path`` and read what it records.

        Raises :class:`JournalError` if the file is in use, is not a journal, or holds a record
        that is not valid; a half-written last line is cut off (with a warning).
        """
        name = os.fspath(path)
        try:
            file = open(name, "a+b")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise JournalError(f"cannot open the journal {name!r}: {exc.strerror}") from None
        journal = cls(name, file)
        try:
            _lock(file, name)
            journal._load()
        except BaseException:
            journal.close()
            raise
        return journal

    def _load(self) -> None:
        file = self._file
        assert file is not None
        try:
            file.seek(0)
            good_end = 0
            number = 0
            while True:
                raw = file.readline(MAX_LINE + 1)
                if not raw:
                    break
                number += 1
                if not raw.endswith(b"\n"):
                    if len(raw) > MAX_LINE:
                        raise self._error(number, "a line longer than a record can be")
                    log.warning("journal %s: cutting off a half-written last line", self.path)
                    break
                self._read_line(raw, number)
                good_end = file.tell()
            if good_end == 0:
                file.truncate(0)
                self._append({"journal": JOURNAL_MARK, "version": JOURNAL_VERSION})
            else:
                file.truncate(good_end)
        except OSError as exc:
            raise JournalError(f"cannot use the journal {self.path!r}: {exc.strerror}") from None

    def _error(self, number: int, problem: str) -> JournalError:
        return JournalError(f"journal {self.path!r} line {number}: {problem}")

    def _read_line(self, raw: bytes, number: int) -> None:
        if not raw.strip():
            return
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            record = None
            if number > 1:
                raise self._error(number, "not JSON") from None
        if number == 1:
            if not (isinstance(record, dict) and record.get("journal") == JOURNAL_MARK):
                raise JournalError(
                    f"{self.path!r} is not an aelyst bulk journal (refusing to append to it)"
                )
            version = record.get("version")
            if version not in (JOURNAL_VERSION, LEGACY_VERSION):
                raise JournalError(
                    f"journal {self.path!r} has version {version!r}; this version of aelyst "
                    f"reads versions {LEGACY_VERSION} and {JOURNAL_VERSION}: start a new journal"
                )
            self.legacy = version == LEGACY_VERSION
            return
        if not isinstance(record, dict):
            raise self._error(number, "not a record")
        if record.get("journal") == JOURNAL_MARK:
            return
        key, ok, contact_id = record.get("key"), record.get("ok"), record.get("contact_id")
        if not _int(record.get("index")):
            raise self._error(number, f"bad index {record.get('index')!r}")
        if record.get("in_flight") is True:
            ok = False  # checked as a record; kept apart below
        if not isinstance(record.get("identifier"), str) or not isinstance(ok, bool):
            raise self._error(number, "a record needs a string identifier and a boolean ok")
        if contact_id is not None and not _int(contact_id):
            raise self._error(number, f"bad contact_id {contact_id!r}")
        if key is None:
            return  # an item that failed before it could be sent
        try:
            digest = bytes.fromhex(key) if isinstance(key, str) and len(key) == 32 else b""
        except ValueError:
            digest = b""
        if not digest:
            raise self._error(number, f"bad key {key!r}")
        if record.get("in_flight") is True:
            holders = record.get("holders")
            if holders is not None and not (
                isinstance(holders, list) and all(_int(h) for h in holders)
            ):
                raise self._error(number, f"bad holders {holders!r}")
            sent_at = record.get("sent_at")
            if not isinstance(sent_at, (int, float)) or not math.isfinite(sent_at):
                raise self._error(number, f"bad sent_at {sent_at!r}")
            noted = None if holders is None else frozenset(holders)
            self._in_doubt[digest] = (noted, float(sent_at))
            self._succeeded.pop(digest, None)
            return
        if ok:
            self._in_doubt.pop(digest, None)
            self._succeeded[digest] = contact_id
        else:
            self._succeeded.pop(digest, None)

    def __len__(self) -> int:
        """How many distinct keys are recorded as succeeded or in flight."""
        return len(self._succeeded) + len(self._in_doubt)

    def in_doubt(self, key: str) -> object:
        """``(holders, sent_at)`` (the contacts noted as holding the new value, a frozenset or
        None; the unix time it was sent) if ``key`` is recorded as in flight and not succeeded
        since, else :data:`MISSING`."""
        return self._in_doubt.get(bytes.fromhex(key), MISSING)

    def write_in_flight(
        self, index: int, identifier: str, key: str, holders: frozenset[int] | None
    ) -> None:
        """Record that the item ``key`` is about to be sent (see the module docstring)."""
        record: dict[str, Any] = {"key": key, "index": index, "identifier": identifier}
        record["in_flight"] = True
        record["holders"] = None if holders is None else sorted(holders)
        record["sent_at"] = time.time()
        self._append(record)

    def succeeded(self, key: str) -> object:
        """The contact id (or None) of ``key`` if recorded as succeeded, else :data:`MISSING`."""
        return self._succeeded.get(bytes.fromhex(key), MISSING)

    def _append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise JournalError(f"the journal {self.path!r} is closed")
        try:
            self._file.write(json.dumps(record).encode() + b"\n")
            self._file.flush()
        except OSError as exc:
            raise JournalError(
                f"cannot write the journal {self.path!r}: {exc.strerror or exc}"
            ) from None

    def write(self, outcome: BulkOutcome, key: str | None = None) -> None:
        """Append the record of ``outcome`` (with its content ``key``) and flush it.

        Raises :class:`JournalError` when the file cannot be written (e.g. a full disk).
        """
        self._append(outcome_record(outcome, key))

    def close(self) -> None:
        """Release the lock and close the file (idempotent)."""
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError:  # after a failed write (reported then), the flush fails again
                log.debug("journal %s: closing failed", self.path, exc_info=True)

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
