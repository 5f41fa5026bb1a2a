"""The throttle: per-path and workspace gates, the pause, learning and sharing a budget.

``policy`` what a client asks; ``paths`` the per method + path gate; ``workspace`` the pause and
the workspace gate; ``learning`` the hidden workspace limit; ``bucket`` the adjustable leaky
bucket; ``shared`` the seam to other processes; ``throttle`` the three gates together.
"""

from .policy import (
    CountingLimitStore,
    LimitStore,
    RateLimitPolicy,
    ThrottleSnapshot,
    WaitEvent,
    WaitReason,
    WarmingLimitStore,
)
from .throttle import Permit, Throttle

__all__ = [
    "CountingLimitStore",
    "LimitStore",
    "Permit",
    "RateLimitPolicy",
    "Throttle",
    "ThrottleSnapshot",
    "WaitEvent",
    "WaitReason",
    "WarmingLimitStore",
]
