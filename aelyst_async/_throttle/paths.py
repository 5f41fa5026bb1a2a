"""The per method + path gate: one budget per key, in turn per key, memory bounded by keys in use.

The server counts each method + path in windows of ``period`` seconds that start when it
*receives* requests, so a budget is scheduled from send times, never from answer times: it keeps
the send times of the requests of the window (a log of counted entries, ``limit`` requests in
all at most), and a request may be sent once the ``limit``-th most recent send is more than a
``period`` (plus a small margin for the network's jitter) in the past. No window, fixed or
sliding, then sees more than ``limit`` of them, whatever the round trip.

The server's headers correct that view: ``X-RateLimit-Limit`` sets ``limit`` (up or down, within
1 and ``MAX_PATH_LIMIT``), and an ``X-RateLimit-Remaining`` lower than the log accounts for
(another process used the path) adds the missing requests to the log, as *one* entry with their
count, at the send time of the answered request: memory and time per answer never grow with the
size of the limit the header announces.

A key's turn (:class:`~aelyst_async._throttle.turn.Turn`, by priority) is held from the moment
its request passes this gate until it is sent (the later gates may make it wait): the log is
therefore only ever written by the head of a key's line.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict

from .turn import Turn

SEND_MARGIN = 0.02
"""Extra share of a period between a send and the one ``limit`` later (the network's jitter)."""
MAX_PATH_LIMIT = 10_000
"""The highest ``X-RateLimit-Limit`` taken from a header (per period); higher ones count as this
(the API documents 5)."""


class PathBudget:
    """One method + path: its turn and the send times of its current server window."""

    __slots__ = ("_turn", "active", "limit", "log", "logged", "period", "seq", "users")

    def __init__(self, limit: int, period: float, now: float) -> None:
        self.limit, self.period = limit, period
        # (send time, sequence number, requests), oldest first; ``logged`` requests in all
        self.log: list[tuple[float, int, int]] = []
        self.logged = 0
        self.seq = 0  # requests sent; each request's sequence number
        self._turn: Turn | None = None  # made on first need: most keys never queue
        self.users = 0  # requests waiting for or holding a permit
        self.active = now  # last send or answer

    @property
    def turn(self) -> Turn:
        """The key's turn in line (see the module docstring)."""
        turn = self._turn
        if turn is None:
            turn = self._turn = Turn()
        return turn

    def open_at(self, now: float) -> bool:
        """True when a request may pass at ``now`` without waiting: nobody holds or waits for
        the key's turn and the window has room."""
        turn = self._turn
        return (turn is None or not turn.busy) and self.ready_in(now) <= 0

    def ready_in(self, now: float) -> float:
        """Seconds until the server's window has room for one more (0 or less: now)."""
        if self.logged < self.limit:
            return 0.0
        # the log holds ``limit`` requests: its oldest is the ``limit``-th most recent
        return self.log[0][0] + self.period * (1.0 + SEND_MARGIN) - now

    def sent(self, now: float) -> int:
        """Log a request sent now; its sequence number."""
        self.seq += 1
        self.log.append((now, self.seq, 1))
        self.logged += 1
        self._trim()
        self.active = now
        return self.seq

    def answered(
        self, seq: int, sent_at: float, limit: int | None, remaining: int | None, now: float
    ) -> None:
        """Apply the server's view of its window from the answer to request ``seq``."""
        self.active = now
        if limit is not None and limit >= 1:
            self.limit = min(limit, MAX_PATH_LIMIT)
        if remaining is None:
            self._trim()
            return
        used = self.limit - remaining  # the server's count of its window, ``seq`` included
        horizon = sent_at - self.period * (1.0 + SEND_MARGIN)
        known = sum(n for t, s, n in self.log if t > horizon and s <= seq)
        if used > known:  # sent by others: they count until ``seq``'s window ends
            others = min(used - known, self.limit)
            bisect.insort(self.log, (sent_at, seq, others))
            self.logged += others
        self._trim()

    def _trim(self) -> None:
        """Forget the oldest requests beyond ``limit``."""
        log = self.log
        while self.logged > self.limit:
            at, seq, count = log[0]
            excess = self.logged - self.limit
            if count > excess:
                log[0] = (at, seq, count - excess)
                self.logged -= excess
            else:
                del log[0]
                self.logged -= count


class Paths:
    """The budgets of the keys in use; idle ones are dropped (least recently used first)."""

    def __init__(self, per_path: int, period: float) -> None:
        self._per_path, self._period = per_path, period
        self._budgets: OrderedDict[str, PathBudget] = OrderedDict()
        self._swept = float("-inf")

    def __len__(self) -> int:
        return len(self._budgets)

    def clear(self) -> None:
        self._budgets.clear()
        self._swept = float("-inf")

    def enter(self, key: str, now: float) -> PathBudget:
        """The budget of ``key``, counting one more user until :meth:`leave`."""
        budgets = self._budgets
        budget = budgets.get(key)
        if budget is None:
            if now - self._swept >= self._period:
                self._sweep(now)
            budget = budgets[key] = PathBudget(self._per_path, self._period, now)
        else:
            budgets.move_to_end(key)
        budget.users += 1
        return budget

    def leave(self, key: str, budget: PathBudget, now: float) -> None:
        budget.users -= 1
        budget.active = now
        if self._budgets.get(key) is budget:
            self._budgets.move_to_end(key)

    def _sweep(self, now: float) -> None:
        self._swept = now
        budgets, horizon = self._budgets, now - self._period * (1.0 + SEND_MARGIN)
        for _ in range(len(budgets)):
            key, budget = next(iter(budgets.items()))
            if budget.active > horizon:
                break
            if budget.users:
                budgets.move_to_end(key)
            else:
                del budgets[key]
