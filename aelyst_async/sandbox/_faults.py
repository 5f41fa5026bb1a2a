"""Injected faults: drawn at random (seeded) or scripted for the next matching calls.

``"fail"``: a 500 before the call is applied; ``"fail_applied"``: a 500 after it was applied
(a gateway giving up on a server that went on); ``"lose"``: the call is applied and the
connection closed without an answer; ``"malformed"``: applied, answered with a body that is not
JSON.

>>> faults = Faults({"lose": 0.0}, seed=1)
>>> faults.inject("lose", times=1, operation="POST /contact/{identifier}/message")
>>> faults.draw("GET /space/user"), faults.draw("POST /contact/{identifier}/message")
(None, 'lose')
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Literal, get_args

import attrs

Fault = Literal["fail", "lose", "malformed", "fail_applied"]
FAULTS: tuple[Fault, ...] = get_args(Fault)


@attrs.define
class _Scripted:
    kind: Fault
    times: int
    operation: str | None


class Faults:
    """Rates by kind (shares of calls, adding up to at most 1) and a script of forced faults."""

    def __init__(self, rates: Mapping[Fault, float], seed: int | None) -> None:
        if any(kind not in FAULTS for kind in rates):
            raise ValueError(f"fault kinds are {list(FAULTS)}")
        if any(not 0.0 <= r <= 1.0 for r in rates.values()) or sum(rates.values()) > 1.0:
            raise ValueError("fault rates must be in [0, 1] and add up to at most 1")
        self._rates = [(kind, rates.get(kind, 0.0)) for kind in FAULTS]
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Reseed the draws and forget the script."""
        self._random = random.Random(self._seed)
        self._script: list[_Scripted] = []

    def inject(self, kind: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """Force ``kind`` on the next ``times`` calls of ``operation`` (``"METHOD /template"``,
        e.g. ``"POST /contact/{identifier}/message"``; None: any call)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {list(FAULTS)}")
        if type(times) is not int or times < 1:
            raise ValueError("times must be an int >= 1")
        self._script.append(_Scripted(kind, times, operation))

    def pending(self) -> list[dict[str, object]]:
        """The script still to play."""
        return [attrs.asdict(entry) for entry in self._script]

    def draw(self, operation: str) -> Fault | None:
        """The fault for this call, if any: the script first, then the seeded draw."""
        for entry in self._script:
            if entry.operation in (None, operation):
                entry.times -= 1
                if entry.times == 0:
                    self._script.remove(entry)
                return entry.kind
        if not any(rate for _, rate in self._rates):
            return None
        draw = self._random.random()
        for kind, rate in self._rates:
            if draw < rate:
                return kind
            draw -= rate
        return None
