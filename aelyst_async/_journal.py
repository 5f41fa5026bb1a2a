"""The bulk-upsert journal: one JSON line per outcome, appended as outcomes arrive.

The first line marks the file as a journal; each following line records one outcome::

    {"journal": "aelyst_async.bulk", "version": 1}
    {"index": 0, "identifier": "email:ana@example.com", "ok": true, "contact_id": 7, "attempts": 1}
    {"index": 1, "identifier": "phone:+351912345678", "ok": false, "attempts": 6,
     "error": {"type": "ServerError", "message": "...", "status": 500}}

Every line is flushed as it is written, so a journal survives the process being killed (a
half-written last line is ignored on resume). The token is never written: records hold the
identifier, the contact id and the error's type and (already redacted) message, never a body.

Resume rule: a run given an existing journal skips the items the journal records as succeeded,
matched by input index *and* identifier; everything else (recorded failures, items never
reached, items whose identifier differs from the record) is sent again.

>>> state = ResumeState.load("import.journal")     # empty when the file does not exist
>>> state.lookup(0, "email:ana@example.com")
(True, 7)
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from array import array
from typing import IO, Any

from ._errors import AelystError, APIError, ContactValidationError, JournalError
from ._models import BulkOutcome

log = logging.getLogger("aelyst_async.bulk")

JOURNAL_MARK = "aelyst_async.bulk"
JOURNAL_VERSION = 1
MAX_INDEX = 2**40
"""Indexes beyond this are refused as a sign of a corrupt journal."""

PathLike = str | os.PathLike[str]


def outcome_record(outcome: BulkOutcome) -> dict[str, Any]:
    """The JSON record of one outcome (never a request body, never the token)."""
    record: dict[str, Any] = {
        "index": outcome.index,
        "identifier": outcome.identifier,
        "ok": outcome.ok,
    }
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


def identifier_fingerprint(identifier: str) -> int:
    """A 32-bit fingerprint of an identifier (what resume compares)."""
    return zlib.crc32(identifier.encode("utf-8", "surrogatepass"))


class ResumeState:
    """The items a journal records as succeeded: by index, with the identifier's fingerprint.

    Kept compact (about 13 bytes per index up to the highest recorded), so resuming a
    million-row import does not hold a million Python objects.
    """

    def __init__(self) -> None:
        self._present = bytearray()
        self._fingerprints = array("I")
        self._contact_ids = array("q")
        self.succeeded = 0
        """How many distinct indexes are recorded as succeeded."""

    def __len__(self) -> int:
        return self.succeeded

    @property
    def end(self) -> int:
        """One past the highest index recorded as succeeded (0 when none is)."""
        return len(self._present)

    def add(self, index: int, identifier: str, contact_id: int | None) -> None:
        """Record ``index`` as succeeded for ``identifier`` (a later record replaces it)."""
        if not 0 <= index < MAX_INDEX:
            raise ValueError(f"index {index} out of range")
        grow = index + 1 - len(self._present)
        if grow > 0:
            self._present.extend(bytes(grow))
            self._fingerprints.frombytes(bytes(grow * self._fingerprints.itemsize))
            self._contact_ids.frombytes(bytes(grow * self._contact_ids.itemsize))
        if not self._present[index]:
            self.succeeded += 1
        self._present[index] = 1
        self._fingerprints[index] = identifier_fingerprint(identifier)
        self._contact_ids[index] = -1 if contact_id is None else contact_id

    def lookup(self, index: int, identifier: str) -> tuple[bool, int | None] | None:
        """None when ``index`` is not recorded as succeeded; else ``(same identifier?, id)``."""
        if index >= len(self._present) or not self._present[index]:
            return None
        contact_id = self._contact_ids[index]
        same = self._fingerprints[index] == identifier_fingerprint(identifier)
        return same, (None if contact_id < 0 else contact_id)

    @classmethod
    def load(cls, path: PathLike) -> ResumeState:
        """Read the journal at ``path`` (an empty state if it does not exist or is empty).

        Raises :class:`JournalError` if the file is not a journal or a complete line is not a
        valid record; a half-written last line (no newline: the writer was killed) is ignored.
        """
        state = cls()
        try:
            file = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return state
        except OSError as exc:
            raise JournalError(f"cannot read the journal {os.fspath(path)!r}: {exc}") from exc
        with file:
            first = True
            for number, raw in enumerate(file, start=1):
                complete = raw.endswith(b"\n")
                try:
                    record = json.loads(raw)
                except ValueError:
                    if first:
                        raise JournalError(
                            f"{os.fspath(path)!r} is not an aelyst bulk journal "
                            "(refusing to append to it)"
                        ) from None
                    if not complete:
                        log.warning("journal %s: ignoring a half-written last line", path)
                        break
                    if not raw.strip():
                        continue
                    raise JournalError(
                        f"journal {os.fspath(path)!r} line {number}: not JSON"
                    ) from None
                if first:
                    first = False
                    if not (isinstance(record, dict) and record.get("journal") == JOURNAL_MARK):
                        raise JournalError(
                            f"{os.fspath(path)!r} is not an aelyst bulk journal "
                            "(refusing to append to it)"
                        )
                    if record.get("version") != JOURNAL_VERSION:
                        raise JournalError(
                            f"journal {os.fspath(path)!r} has version {record.get('version')!r}; "
                            f"this version reads version {JOURNAL_VERSION}"
                        )
                    continue
                if isinstance(record, dict) and record.get("journal") == JOURNAL_MARK:
                    continue  # the mark of a later run appended to the same file
                state._load_record(record, path, number)
        return state

    def _load_record(self, record: Any, path: PathLike, number: int) -> None:
        where = f"journal {os.fspath(path)!r} line {number}"
        if not isinstance(record, dict):
            raise JournalError(f"{where}: not a record")
        index, identifier, ok = record.get("index"), record.get("identifier"), record.get("ok")
        contact_id = record.get("contact_id")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_INDEX:
            raise JournalError(f"{where}: bad index {index!r}")
        if not isinstance(identifier, str) or not isinstance(ok, bool):
            raise JournalError(f"{where}: a record needs a string identifier and a boolean ok")
        if contact_id is not None and (
            isinstance(contact_id, bool) or not isinstance(contact_id, int)
        ):
            raise JournalError(f"{where}: bad contact_id {contact_id!r}")
        if ok:
            self.add(index, identifier, contact_id)


class JournalWriter:
    """Appends outcome records to a journal file, one flushed line each.

    A new (or empty) file gets the journal mark first; a file that exists must already be a
    journal (check it with :meth:`ResumeState.load` before opening it for writing).
    """

    def __init__(self, path: PathLike) -> None:
        self.path = path
        try:
            self._file: IO[str] = open(path, "a+", encoding="utf-8", newline="\n")  # noqa: SIM115
            self._file.seek(0, os.SEEK_END)
            size = self._file.tell()
            if size == 0:
                self._write({"journal": JOURNAL_MARK, "version": JOURNAL_VERSION})
            else:
                with open(path, "rb") as raw:
                    raw.seek(size - 1)
                    if raw.read(1) != b"\n":
                        self._file.write("\n")  # end a half-written line before appending
                        self._file.flush()
        except OSError as exc:
            raise JournalError(f"cannot write the journal {os.fspath(path)!r}: {exc}") from exc

    def _write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def write(self, outcome: BulkOutcome) -> None:
        """Append the record of ``outcome`` and flush it."""
        self._write(outcome_record(outcome))

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._file.close()
