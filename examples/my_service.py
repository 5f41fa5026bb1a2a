"""A tiny service that uses the SDK: it records a customer's orders as comments on the contact.

``examples/test_my_service.py`` tests it with the kit of ``aelyst_async.testing``; copy both.
"""

from __future__ import annotations

from collections.abc import Iterable

from aelyst_async import AelystClient, Contact


async def record_orders(
    client: AelystClient, email: str, name: str, orders: Iterable[tuple[str, float]]
) -> int:
    """Make sure the customer is a contact, then log one comment per ``(number, total)`` order
    on it; returns the contact's id."""
    result = await client.contacts.create_or_update(f"email:{email}", Contact(first_name=name))
    for number, total in orders:
        await client.comments.create(f"id:{result.contact_id}", f"Order {number}: {total:.2f} EUR")
    return result.contact_id
