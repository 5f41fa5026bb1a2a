"""Property: whatever the faults, the sandbox ends as if the valid items applied in input order."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aelyst_async import (
    AelystClient,
    Contact,
    ContactValidationError,
    CustomField,
    ResponseFormatError,
    RetryPolicy,
)
from aelyst_async.sandbox import Sandbox
from tests import virtual_time
from tests.bulk_helpers import client_for, fast_retry, gauged_sandbox
from tests.test_bulk import TickingClock, by_index

EMAILS = [f"p{k}@example.com" for k in range(4)]

item_specs = st.lists(
    st.tuples(
        st.integers(0, len(EMAILS) - 1),  # which contact
        st.sampled_from(["set", "clear", "keep", "invalid"]),  # what happens to lastName
        st.booleans(),  # a Seats custom field
        st.booleans(),  # an (identifier, contact) pair rather than a Contact
    ),
    min_size=1,
    max_size=24,
)
faults = st.sampled_from(
    [
        {},
        {"fail_rate": 0.3},
        {"lose_rate": 0.3},
        {"malformed_rate": 0.2},
        {"fail_rate": 0.15, "lose_rate": 0.15, "malformed_rate": 0.1},
        {"fail_applied_rate": 0.3},
        {"fail_rate": 0.1, "lose_rate": 0.1, "malformed_rate": 0.1, "fail_applied_rate": 0.1},
    ]
)


def build(i: int, which: int, last: str, seats: bool, pair: bool) -> Any:
    fields: dict[str, Any] = {}
    if last == "set":
        fields["last_name"] = f"L{i}"
    elif last == "clear":
        fields["last_name"] = None
    elif last == "invalid":
        fields["country_code"] = "not a country"
    if seats:
        fields["custom_fields"] = [CustomField("Seats", i)]
    if pair:
        return (f"email:{EMAILS[which]}", Contact(f"F{i}", **fields))
    return Contact(f"F{i}", email=EMAILS[which], **fields)


def expected_state(specs: list[tuple[int, str, bool, bool]]) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {}
    for i, (which, last, seats, _) in enumerate(specs):
        if last == "invalid":
            continue
        contact = state.setdefault(
            EMAILS[which], {"firstName": None, "lastName": None, "custom_fields": {}}
        )
        contact["firstName"] = f"F{i}"
        if last != "keep":
            contact["lastName"] = f"L{i}" if last == "set" else None
        if seats:
            contact["custom_fields"]["Seats"] = i
    return state


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(
    specs=item_specs,
    fault=faults,
    seed=st.integers(0, 2**16),
    concurrency=st.integers(1, 6),
    processing=st.sampled_from([0.0, 0.5]),
)
async def test_final_state_equals_the_valid_items_applied_in_order(
    specs: list[tuple[int, str, bool, bool]],
    fault: dict[str, float],
    seed: int,
    concurrency: int,
    processing: float,
) -> None:
    items = [build(i, *spec) for i, spec in enumerate(specs)]
    async with (
        gauged_sandbox(clock=TickingClock(0.1), processing=processing, seed=seed, **fault) as (
            sb,
            gauge,
        ),
        client_for(sb, retry=fast_retry(max_attempts=40)) as client,
    ):
        outcomes = [
            o
            async for o in client.contacts.upsert_many(
                items, concurrency=concurrency, settle_delay=0
            )
        ]
    found = by_index(outcomes)
    for i, (_, last, _, _) in enumerate(specs):
        outcome = found[i]
        if last == "invalid":
            assert not outcome.ok and isinstance(outcome.error, ContactValidationError)
            assert outcome.attempts == 0
        else:
            # a garbled 2xx: applied, never retried, the item's error says so
            assert outcome.ok or isinstance(outcome.error, ResponseFormatError), outcome
    failed = sum(1 for o in outcomes if isinstance(o.error, ResponseFormatError))
    assert failed == sb.stats.faults["malformed"]
    assert gauge.overlaps == 0
    assert gauge.max_in_flight <= concurrency
    expected = expected_state(specs)
    assert len(sb.store) == len(expected), "no duplicate contact, none missing"
    for email, fields in expected.items():
        stored = sb.store.find_by_email(email)
        assert stored is not None
        assert {k: stored[k] for k in fields} == fields


@settings(max_examples=20, deadline=None, database=None)
@given(
    specs=item_specs,
    rekeys=st.lists(st.integers(0, len(EMAILS) - 1), min_size=1, max_size=4, unique=True),
    fault=st.sampled_from(
        [
            {"late_rate": 0.5},
            {"hang_rate": 0.5},
            {"late_rate": 0.15, "hang_rate": 0.15, "lose_rate": 0.1, "fail_applied_rate": 0.1},
        ]
    ),
    seed=st.integers(0, 2**16),
    concurrency=st.integers(1, 6),
)
def test_late_and_hanging_writes_leave_one_contact_per_intended_contact(
    specs: list[tuple[int, str, bool, bool]],
    rekeys: list[int],
    fault: dict[str, float],
    seed: int,
    concurrency: int,
) -> None:
    """Writes landing after the client's timeout (or never answered): every item gets one
    outcome, and re-keying items (moving ``p{k}`` to ``moved{k}`` first) never duplicate."""
    moves = [
        (f"email:{EMAILS[k]}", Contact(f"R{k}", email=f"moved{k}@example.com")) for k in rekeys
    ]
    items = [*moves, *(build(i, *spec) for i, spec in enumerate(specs))]

    async def scenario() -> tuple[list[Any], list[dict[str, Any]]]:
        loop = asyncio.get_running_loop()
        async with (
            Sandbox(clock=loop.time, per_path=1000, late_delay=1.8, seed=seed, **fault) as sb,
            AelystClient(
                sb.token, base_url=sb.base_url, timeout=1.0, retry=RetryPolicy(max_attempts=12)
            ) as client,
        ):
            for k in rekeys[::2]:  # some re-keys move an existing contact, others create
                sb.store.create({"firstName": "Old", "email": EMAILS[k]})
            outcomes = [
                o async for o in client.contacts.upsert_many(items, concurrency=concurrency)
            ]
            await sb.faults.settle()
            return outcomes, sb.store.contacts()

    outcomes, contacts = virtual_time.run(scenario())
    assert sorted(o.index for o in outcomes) == list(range(len(items)))  # one outcome each
    invalid = {len(moves) + i for i, spec in enumerate(specs) if spec[1] == "invalid"}
    assert all(o.ok for o in outcomes if o.index not in invalid), [o for o in outcomes if not o.ok]
    emails = [c["email"] for c in contacts]
    assert len(emails) == len(set(emails)), "no duplicate contact"
    intended = {f"moved{k}@example.com" for k in rekeys}
    intended |= {EMAILS[which] for i, (which, last, _, _) in enumerate(specs) if last != "invalid"}
    assert set(emails) == intended
