"""Bulk upserts: many items through one send callable, each with exactly one outcome.

How a run works:

- Items are pulled from the input only while fewer than ``concurrency + buffer`` are held
  (sent, waiting for a request slot, or waiting behind an earlier item of the same contact),
  so memory follows ``concurrency``, not the input's length.
- At most ``concurrency`` sends are in flight (when not given: what ``concurrency_hint``
  says, read as the run goes); each item is one send, retried only by the client's retry
  policy, so its outcome is final.
- Items of the same contact (the same identifier; email addresses compared case-insensitively)
  never overlap and run in input order. After an item that may have created the contact (a
  success, or an error whose write may have landed: 5xx, 449, no usable response), the next
  item of that contact starts ``settle_delay`` seconds later, as the API asks for a pause after
  a create. ``id:`` identifiers never create and never wait.
- Items without an identifier, with a malformed one, or failing client-side validation become
  failures at their index without a request.
- A send that raises something other than an ``AelystError`` (a bug, a throttle error, a send
  callable's own error) fails its item with :class:`BulkItemError`; the run goes on. A progress
  callback that raises is logged (a warning) and not called again; the run goes on.
- An input that raises part-way: the items read before it finish (outcome and journal line),
  then :class:`BulkInputError` is raised with the partial report.
- Cancelling the run (or closing the outcome stream) cancels the sends in flight; no outcome
  is made up for them.

>>> async for outcome in upsert_many(send, contacts, BulkOptions(concurrency=16)):
...     print(outcome.index, outcome.ok)
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Sized
from typing import Any

from .._errors import AelystError, ContactValidationError
from ..types.bulk import BulkOutcome, BulkReport
from .items import Entry, InFlight, RunItems, SendOne, classify, entry_key, not_utf8_contact
from .journal import MISSING, Journal
from .options import DEFAULT_CONCURRENCY, MAX_HINTED_CONCURRENCY, BulkOptions
from .outcomes import (
    BulkInputError,
    BulkItemError,
    attempts_of,
    count,
    may_have_written,
    without_tracebacks,
)
from .progress import ProgressTracker
from .slots import Slots
from .source import PENDING, Source, loop_time

log = logging.getLogger("aelyst_async.bulk")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


def _outcome(entry: Entry, ok: bool, **fields: Any) -> BulkOutcome:
    return BulkOutcome(entry.index, entry.label, ok, context=entry.context, **fields)


class _Run:
    """The state of one bulk run; :meth:`outcomes` drives it."""

    def __init__(
        self,
        send: SendOne,
        options: BulkOptions,
        concurrency_hint: Callable[[], int] | None,
        clock: Clock | None,
        sleep: Sleep | None,
        *,
        keep_failures: bool = False,
    ) -> None:
        self._send_one = send
        self._options = options
        self._content_key = options.content_key or entry_key
        self._hint = concurrency_hint
        self._clock: Clock = clock or loop_time
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._keep_failures = keep_failures
        self.report = BulkReport()
        self._tasks: dict[asyncio.Future[Any], Entry] = {}
        self._last: dict[str, Entry] = {}
        """The latest item not finished of each ordering key (later ones queue behind it)."""
        self._settling: dict[str, float] = {}
        self._settle_order: deque[tuple[float, str]] = deque()
        self._held = 0
        self._resent: set[str] = set()
        self._journal: Journal | None = None
        self._progress: ProgressTracker | None = None
        self._limit_now = DEFAULT_CONCURRENCY
        self._slots = Slots(lambda: self._limit_now)
        self._finished: deque[asyncio.Future[Any]] = deque()
        self._wake = asyncio.Event()

    def _read_limit(self) -> int:
        """The sends allowed in flight: the given ``concurrency``, else the hint's (read once
        per round of the coordinator, not per item)."""
        if self._options.concurrency is not None:
            return self._options.concurrency
        if self._hint is None:
            return DEFAULT_CONCURRENCY
        try:
            hinted = float(self._hint())
        except Exception:
            log.debug(
                "bulk: the concurrency hint raised; using %d", DEFAULT_CONCURRENCY, exc_info=True
            )
            return DEFAULT_CONCURRENCY
        if math.isnan(hinted):
            return DEFAULT_CONCURRENCY
        return int(max(1.0, min(float(MAX_HINTED_CONCURRENCY), hinted)))

    def _capacity(self) -> int:
        limit = self._limit_now
        buffer = self._options.buffer
        return limit + (3 * limit if buffer is None else buffer)

    # -- the coordinator -------------------------------------------------------------------------

    async def outcomes(self, items: RunItems) -> AsyncGenerator[BulkOutcome, None]:
        """Every item's outcome, as it finishes; then :class:`BulkInputError` if the input
        raised."""
        source = Source(items, self._on_done)
        try:
            self._open(items)
            while True:
                self._limit_now = self._read_limit()
                while not source.exhausted and self._held < self._capacity():
                    item = source.read()
                    if item is PENDING:
                        break
                    outcome = self._admit(source, item)
                    if outcome is not None:
                        yield self._emit(outcome)
                if not self._tasks and source.pull is None:
                    break  # nothing in flight and nothing more to read
                for finished in await self._next_finished():
                    if finished is source.pull:
                        item = source.pulled()
                        outcome = None if item is PENDING else self._admit(source, item)
                    else:
                        outcome = self._finish(finished)
                    if outcome is not None:
                        yield self._emit(outcome)
            if self._progress is not None:
                self._progress.update(self.report, final=True)
            if source.error is not None:
                raise BulkInputError(self.report, source.error)
        finally:
            try:
                source.cancel()
                await self._cancel_in_flight()
            finally:
                if self._journal is not None:
                    self._journal.close()

    def _open(self, items: RunItems) -> None:
        options = self._options
        if options.journal is not None:
            self._journal = Journal.open(options.journal)
        if options.on_progress is not None:
            total = options.total
            if total is None and isinstance(items, Sized):
                total = len(items)
            self._progress = ProgressTracker(
                options.on_progress, total, options.progress_interval, self._clock
            )

    async def _next_finished(self) -> list[asyncio.Future[Any]]:
        """The tasks (sends, the input's pull) finished since last asked, sends in input order."""
        while not self._finished:
            self._wake.clear()
            await self._wake.wait()
        finished = list(self._finished)
        self._finished.clear()
        finished.sort(key=lambda f: self._tasks[f].index if f in self._tasks else -1)
        return finished

    def _on_done(self, future: asyncio.Future[Any]) -> None:
        self._finished.append(future)
        self._wake.set()

    async def _cancel_in_flight(self) -> None:
        """Cancel the tasks still running; journal those that finished without being emitted."""
        tasks = list(self._tasks.items())
        self._tasks.clear()
        for task, _ in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait([task for task, _ in tasks])
        for task, entry in tasks:
            if task.cancelled() or task.exception() is not None:
                continue
            if self._journal is not None:
                self._journal.write(task.result(), entry.key)

    # -- admitting items -------------------------------------------------------------------------

    def _admit(self, source: Source, item: Any) -> BulkOutcome | None:
        """Start or queue an item; its outcome right away when no request is needed."""
        index = source.index
        source.index += 1
        entry: Entry | BulkOutcome | None = None
        try:
            entry = classify(index, item)
            done = entry if isinstance(entry, BulkOutcome) else self._journaled(entry)
        except Exception as exc:  # a bug, or a content_key that raised: this item fails
            log.debug("bulk: item %d could not be admitted", index, exc_info=True)
            label, context = (
                (entry.label, entry.context) if isinstance(entry, Entry) else ("", None)
            )
            error = without_tracebacks(BulkItemError.of(exc))
            done = BulkOutcome(index, label, False, error=error, context=context)
        if done is not None:
            if not done.skipped and self._journal is not None:
                self._journal.write(done)
            return done
        assert isinstance(entry, Entry)
        self._held += 1
        blockers = {id(e): e for key in entry.orders if (e := self._last.get(key)) is not None}
        for key in entry.orders:
            self._last[key] = entry
            until = self._settled_until(key)
            if until is not None:
                entry.ready = max(entry.ready, until)
        for earlier in blockers.values():
            earlier.followers.append(entry)
        entry.blockers = len(blockers)
        if not blockers:
            self._start(entry)
        return None

    def _journaled(self, entry: Entry) -> BulkOutcome | None:
        """Set the entry's journal key; its skipped outcome if the journal records it done."""
        journal = self._journal
        if journal is None:
            return None
        entry.key = key = self._content_key(entry, journal.legacy)
        if not journal.legacy:  # version 3: re-keys are journaled in flight
            entry.in_flight = InFlight(functools.partial(self._mark_in_flight, entry))
        if not len(journal):
            return None  # nothing recorded: nothing to skip, nothing to re-send in order
        doubt = journal.in_doubt(key)
        if isinstance(doubt, tuple) and entry.in_flight is not None:
            entry.in_flight.resumed = True
            entry.in_flight.holders, entry.in_flight.sent_at = doubt
        found = journal.succeeded(key)
        if found is not MISSING and self._resent.isdisjoint(entry.orders):
            contact_id = found if isinstance(found, int) else None
            return _outcome(entry, True, contact_id=contact_id, skipped=True)
        # a later item of this contact recorded as done must be sent again, after this one,
        # to keep input order
        self._resent.update(entry.orders)
        return None

    def _mark_in_flight(self, entry: Entry, holders: frozenset[int] | None) -> None:
        if self._journal is not None and entry.key is not None:
            self._journal.write_in_flight(entry.index, entry.label, entry.key, holders)

    def _settled_until(self, order: str) -> float | None:
        """When ``order``'s settle delay ends, if it has not; forgets the delays that ended."""
        if not self._settling:
            return None
        now = self._clock()
        while self._settle_order and self._settle_order[0][0] <= now:
            expired, expired_order = self._settle_order.popleft()
            if self._settling.get(expired_order) == expired:
                del self._settling[expired_order]
        until = self._settling.pop(order, None)
        return until if until is not None and until > now else None

    def _start(self, entry: Entry) -> None:
        task = asyncio.ensure_future(self._send(entry))
        self._tasks[task] = entry
        task.add_done_callback(self._on_done)

    async def _send(self, entry: Entry) -> BulkOutcome:
        if entry.ready:
            # never longer than a settle delay, even if the clock went back
            delay = min(entry.ready - self._clock(), self._options.settle_delay)
            if delay > 0:
                await self._sleep(delay)
        await self._slots.acquire()
        try:
            sent = await self._send_one(entry)
        except AelystError as exc:
            attempts = 0 if isinstance(exc, ContactValidationError) else attempts_of(exc)
            error = without_tracebacks(exc)
            return _outcome(entry, False, error=error, attempts=attempts)
        except UnicodeEncodeError:
            error = not_utf8_contact()
            return _outcome(entry, False, error=error)
        except Exception as exc:
            log.debug("bulk: the send of item %d raised", entry.index, exc_info=True)
            error = without_tracebacks(BulkItemError.of(exc))
            return _outcome(entry, False, error=error)
        finally:
            self._slots.release()
        return _outcome(entry, True, contact_id=sent.contact_id, attempts=sent.attempts)

    # -- finishing items -------------------------------------------------------------------------

    def _finish(self, task: asyncio.Future[Any]) -> BulkOutcome:
        entry = self._tasks.pop(task)
        self._held -= 1
        if task.cancelled():  # cancelled from inside the send callable, not by the run
            error = BulkItemError.of(asyncio.CancelledError("the send was cancelled"))
            outcome = _outcome(entry, False, error=error)
        else:
            outcome = task.result()  # _send turns every Exception into an outcome
        if self._journal is not None:
            self._journal.write(outcome, entry.key)
        settle = (
            self._options.settle_delay > 0
            and entry.identifier.kind != "id"
            and may_have_written(outcome)
        )
        until = self._clock() + self._options.settle_delay
        for key in entry.orders:
            if self._last.get(key) is entry:  # nothing queued behind it on this key
                del self._last[key]
                if settle:
                    self._settling[key] = until
                    self._settle_order.append((until, key))
        for following in entry.followers:
            if settle:
                following.ready = max(following.ready, until)
            following.blockers -= 1
            if following.blockers == 0:
                self._start(following)
        entry.followers.clear()
        return outcome

    def _emit(self, outcome: BulkOutcome) -> BulkOutcome:
        count(self.report, outcome, keep_failures=self._keep_failures)
        if self._progress is not None:
            self._progress.update(self.report)
        return outcome


def upsert_many(
    send: SendOne,
    items: RunItems,
    options: BulkOptions,
    *,
    concurrency_hint: Callable[[], int] | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> AsyncGenerator[BulkOutcome, None]:
    """The outcome of every item, as each finishes (see the module docstring).

    ``send`` sends one item; ``concurrency_hint`` (read while running) sets the sends in flight
    when ``options.concurrency`` is None. ``clock`` / ``sleep`` (default: the event loop's time
    and ``asyncio.sleep``) are the time source and the sleep of settle delays.
    """
    return _Run(send, options, concurrency_hint, clock, sleep).outcomes(items)


async def bulk_upsert(
    send: SendOne,
    items: RunItems,
    options: BulkOptions,
    *,
    concurrency_hint: Callable[[], int] | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> BulkReport:
    """Run :func:`upsert_many` to the end; the report keeps counts and the failures only.

    Raises :class:`BulkInputError` (with this report, partial) if the input raised part-way.
    """
    now = clock or loop_time
    start = now()
    run = _Run(send, options, concurrency_hint, clock, sleep, keep_failures=True)
    outcomes = run.outcomes(items)
    try:
        async for _ in outcomes:
            pass
    finally:
        await outcomes.aclose()
        run.report.elapsed = now() - start
    return run.report
