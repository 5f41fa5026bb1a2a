"""A client the code under test makes itself (``AelystClient(sb.token, base_url=sb.base_url)``)
waits in real time: the kit's sandbox follows real time for it, while the kit's own client
keeps its virtual time."""

from __future__ import annotations

from aelyst_async import AelystClient, Contact
from aelyst_async.sandbox import Sandbox
from aelyst_async.testing import VirtualClock, running_sandbox, sandbox_client

ANA = "email:ana@example.com"
CALLS = 7  # over the sandbox's default of 5 per second on one path


class RealTime:
    """A real-time source the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_clock_follows_real_time_once_asked_and_keeps_every_jump() -> None:
    real = RealTime()
    clock = VirtualClock(real=real)
    clock.advance(2.0)
    real.now += 5.0
    assert (clock.now, clock.follows_real_time) == (2.0, False)  # virtual only, so far
    clock.follow_real_time()
    real.now += 0.5
    assert clock.now == 2.5  # real time passes on it
    clock.advance(10.0)
    real.now += 1.0
    assert clock() == clock.time() == 13.5  # the jump kept, real time added on top
    clock.follow_real_time()  # again: nothing restarts
    assert clock.now == 13.5


def test_following_real_time_wakes_what_waits_on_the_clock() -> None:
    clock = VirtualClock(real=RealTime())
    woken: list[bool] = []
    clock.listeners.append(lambda: woken.append(clock.follows_real_time))
    clock.follow_real_time()
    clock.follow_real_time()
    assert woken == [True]


async def upserts(client: AelystClient) -> list[int]:
    return [
        (await client.contacts.create_or_update(ANA, Contact(f"Ana{i}"))).contact_id
        for i in range(CALLS)
    ]


async def test_a_plain_client_through_running_sandbox_gets_past_the_path_limit() -> None:
    with running_sandbox() as sb:
        async with AelystClient(sb.token, base_url=sb.base_url) as client:
            assert await upserts(client) == [1] * CALLS
        assert sb.clock.follows_real_time
        assert sb.stats.requests - sb.stats.rate_limited == CALLS
        assert (sb.store.find_by_email("ana@example.com") or {})["firstName"] == f"Ana{CALLS - 1}"


async def test_a_plain_client_through_the_fixture_gets_past_the_path_limit(
    aelyst_sandbox: Sandbox,
) -> None:
    sb = aelyst_sandbox
    async with AelystClient(sb.token, base_url=sb.base_url) as client:
        assert await upserts(client) == [1] * CALLS
    assert sb.stats.requests - sb.stats.rate_limited == CALLS


async def test_the_kits_client_alone_keeps_the_clock_virtual(aelyst_sandbox: Sandbox) -> None:
    client = sandbox_client(aelyst_sandbox)
    await upserts(client)
    clock = aelyst_sandbox.clock
    assert isinstance(clock, VirtualClock) and not clock.follows_real_time
    assert clock() == client.stats.throttle_wait


async def test_both_clients_on_one_sandbox(aelyst_sandbox: Sandbox) -> None:
    sb = aelyst_sandbox
    kit = sandbox_client(sb)
    async with AelystClient(sb.token, base_url=sb.base_url) as own:
        await own.contacts.create_or_update(ANA, Contact("Ana"))
        assert await upserts(kit) == [1] * CALLS  # still no real wait for the kit's client
        assert kit.stats.rate_limited == 0
        assert sb.clock() >= kit.stats.throttle_wait  # real time on top of its jumps
