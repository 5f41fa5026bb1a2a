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
- Cancelling the run (or closing the outcome stream) cancels the sends in flight; no outcome
  is made up for them.

>>> async for outcome in upsert_many(send, contacts, BulkOptions(concurrency=16)):
...     print(outcome.index, outcome.ok)
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Sized,
)
from typing import Any

from .._errors import AelystError, ContactValidationError
from ..types.bulk import BulkOutcome, BulkReport
from .items import BulkItems, Entry, SendOne, classify, content_key, not_utf8_contact
from .journal import MISSING, Journal
from .options import DEFAULT_CONCURRENCY, MAX_HINTED_CONCURRENCY, BulkOptions
from .outcomes import attempts_of, may_have_written, without_tracebacks
from .progress import ProgressTracker

log = logging.getLogger("aelyst_async.bulk")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


async def _next_item(source: AsyncIterator[Any]) -> Any:
    return await anext(source)


class _Run:
    """The state of one bulk run; :meth:`outcomes` drives it."""

    def __init__(
        self,
        send: SendOne,
        options: BulkOptions,
        concurrency_hint: Callable[[], int] | None,
        clock: Clock | None,
        sleep: Sleep | None,
    ) -> None:
        self._send_one = send
        self._options = options
        self._hint = concurrency_hint
        self._clock_option = clock
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._tasks: dict[asyncio.Task[BulkOutcome], Entry] = {}
        self._keys: dict[int, str] = {}
        self._waiting: dict[str, deque[Entry]] = {}
        self._active: set[str] = set()
        self._settling: dict[str, float] = {}
        self._settle_order: deque[tuple[float, str]] = deque()
        self._held = 0
        self._in_flight = 0
        self._resent: set[str] = set()
        self._journal: Journal | None = None
        self._progress: ProgressTracker | None = None
        self.succeeded = self.failed = self.skipped = 0

    def _limit(self) -> int:
        if self._options.concurrency is not None:
            return self._options.concurrency
        if self._hint is None:
            return DEFAULT_CONCURRENCY
        return max(1, min(MAX_HINTED_CONCURRENCY, int(self._hint())))

    def _capacity(self) -> int:
        limit = self._limit()
        buffer = self._options.buffer
        return limit + (3 * limit if buffer is None else buffer)

    # -- the coordinator -------------------------------------------------------------------------

    async def outcomes(self, items: BulkItems) -> AsyncGenerator[BulkOutcome, None]:
        """Every item's outcome, as it finishes."""
        options = self._options
        self._clock: Clock = self._clock_option or asyncio.get_running_loop().time
        self._slot_freed = asyncio.Condition()
        self._finished: deque[asyncio.Future[Any]] = deque()
        self._wake = asyncio.Event()
        pull: asyncio.Task[Any] | None = None
        try:
            if options.journal is not None:
                self._journal = Journal.open(options.journal)
            if options.on_progress is not None:
                total = options.total
                if total is None and isinstance(items, Sized):
                    total = len(items)
                self._progress = ProgressTracker(
                    options.on_progress, total, options.progress_interval, self._clock
                )
            index = 0
            exhausted = False
            source: AsyncIterator[Any] | None = None
            sync_source: Iterator[Any] | None = None
            if isinstance(items, AsyncIterable):
                source = aiter(items)
            else:
                sync_source = iter(items)
            while True:
                if sync_source is not None:
                    while not exhausted and self._held < self._capacity():
                        try:
                            item = next(sync_source)
                        except StopIteration:
                            exhausted = True
                            break
                        outcome = self._admit(index, item)
                        index += 1
                        if outcome is not None:
                            yield self._emit(outcome)
                elif pull is None and not exhausted and self._held < self._capacity():
                    assert source is not None
                    pull = asyncio.ensure_future(_next_item(source))
                    pull.add_done_callback(self._on_done)
                if not self._tasks and pull is None:
                    if exhausted:
                        break
                    continue  # room again for the sync source
                while not self._finished:
                    self._wake.clear()
                    await self._wake.wait()
                finished = list(self._finished)
                self._finished.clear()
                if pull is not None and pull in finished:
                    finished.remove(pull)
                    done_pull, pull = pull, None
                    try:
                        item = done_pull.result()
                    except StopAsyncIteration:
                        exhausted = True
                    else:
                        outcome = self._admit(index, item)
                        index += 1
                        if outcome is not None:
                            yield self._emit(outcome)
                finished_tasks = [(self._tasks[t].index, t) for t in finished if t in self._tasks]
                for _, task in sorted(finished_tasks, key=lambda pair: pair[0]):
                    yield self._emit(self._finish(task))
            if self._progress is not None:
                self._progress.update(self.succeeded, self.failed, self.skipped, final=True)
        finally:
            try:
                if pull is not None:
                    pull.cancel()
                await self._cancel_in_flight()
            finally:
                if self._journal is not None:
                    self._journal.close()

    def _on_done(self, future: asyncio.Future[Any]) -> None:
        self._finished.append(future)
        self._wake.set()

    async def _cancel_in_flight(self) -> None:
        """Cancel the tasks still running; journal those that finished without being emitted."""
        tasks = list(self._tasks)
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for task in tasks:
            if task.cancelled() or task.exception() is not None:
                continue
            outcome = task.result()
            if self._journal is not None:
                self._journal.write(outcome, self._keys.pop(outcome.index, None))

    # -- admitting items -------------------------------------------------------------------------

    def _admit(self, index: int, item: Any) -> BulkOutcome | None:
        """Start or queue an item; its outcome right away when no request is needed."""
        entry = classify(index, item)
        if isinstance(entry, BulkOutcome):
            return entry
        order = entry.order
        if self._journal is not None:
            key = (self._options.content_key or content_key)(entry.label, entry.contact)
            found = self._journal.succeeded(key)
            if found is not MISSING and order not in self._resent:
                contact_id = found if isinstance(found, int) else None
                return BulkOutcome(index, entry.label, True, contact_id=contact_id, skipped=True)
            # a later item of this contact recorded as done must be sent again, after this one,
            # to keep input order
            self._resent.add(order)
            self._keys[index] = key
        self._held += 1
        if order in self._active:
            self._waiting.setdefault(order, deque()).append(entry)
            return None
        self._active.add(order)
        if self._settling:
            now = self._clock()
            settle_order = self._settle_order
            while settle_order and settle_order[0][0] <= now:
                expired, expired_key = settle_order.popleft()
                if self._settling.get(expired_key) == expired:
                    del self._settling[expired_key]
            until = self._settling.pop(order, None)
            if until is not None and until > now:
                entry.ready = until
        self._start(entry)
        return None

    def _start(self, entry: Entry) -> None:
        task = asyncio.ensure_future(self._send(entry))
        self._tasks[task] = entry
        task.add_done_callback(self._on_done)

    async def _send(self, entry: Entry) -> BulkOutcome:
        if entry.ready:
            delay = entry.ready - self._clock()
            if delay > 0:
                await self._sleep(delay)
        async with self._slot_freed:
            await self._slot_freed.wait_for(lambda: self._in_flight < self._limit())
            self._in_flight += 1
        try:
            result, attempts = await self._send_one(entry.identifier, entry.contact)
        except AelystError as exc:
            attempts = 0 if isinstance(exc, ContactValidationError) else attempts_of(exc)
            error = without_tracebacks(exc)
            return BulkOutcome(entry.index, entry.label, False, error=error, attempts=attempts)
        except UnicodeEncodeError:
            error = not_utf8_contact()
            return BulkOutcome(entry.index, entry.label, False, error=error)
        finally:
            self._in_flight -= 1
            async with self._slot_freed:
                self._slot_freed.notify(max(1, self._limit() - self._in_flight))
        return BulkOutcome(
            entry.index, entry.label, True, contact_id=result.contact_id, attempts=attempts
        )

    # -- finishing items -------------------------------------------------------------------------

    def _finish(self, task: asyncio.Task[BulkOutcome]) -> BulkOutcome:
        entry = self._tasks.pop(task)
        outcome = task.result()  # _send turns every AelystError into an outcome
        self._held -= 1
        order = entry.order
        settle = (
            self._options.settle_delay > 0
            and entry.identifier.kind != "id"
            and may_have_written(outcome)
        )
        until = self._clock() + self._options.settle_delay
        queue = self._waiting.get(order)
        if queue:
            following = queue.popleft()
            if not queue:
                del self._waiting[order]
            if settle:
                following.ready = until
            self._start(following)
        else:
            self._active.discard(order)
            if settle:
                self._settling[order] = until
                self._settle_order.append((until, order))
        return outcome

    def _emit(self, outcome: BulkOutcome) -> BulkOutcome:
        if outcome.skipped:
            self.skipped += 1
        else:
            if self._journal is not None:
                self._journal.write(outcome, self._keys.pop(outcome.index, None))
            if outcome.ok:
                self.succeeded += 1
            else:
                self.failed += 1
        if self._progress is not None:
            self._progress.update(self.succeeded, self.failed, self.skipped)
        return outcome


def upsert_many(
    send: SendOne,
    items: BulkItems,
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
    items: BulkItems,
    options: BulkOptions,
    *,
    concurrency_hint: Callable[[], int] | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> BulkReport:
    """Run :func:`upsert_many` to the end; the report keeps counts and the failures only."""
    now = clock or asyncio.get_running_loop().time
    start = now()
    outcomes = upsert_many(
        send, items, options, concurrency_hint=concurrency_hint, clock=clock, sleep=sleep
    )
    report = BulkReport()
    try:
        async for outcome in outcomes:
            report.total += 1
            if outcome.skipped:
                report.skipped += 1
            elif outcome.ok:
                report.succeeded += 1
            else:
                report.failed += 1
                report.failures.append(outcome)
    finally:
        await outcomes.aclose()
    report.elapsed = now() - start
    return report
