import pytest

from aelyst_async import AelystClient, Contact
from aelyst_async.sandbox import Sandbox


async def sign_up(client: AelystClient, email: str, name: str) -> int:  # the code under test
    result = await client.contacts.create_or_update(f"email:{email}", Contact(name))
    await client.contacts.add_tags(f"id:{result.contact_id}", ["newsletter"])
    return result.contact_id


@pytest.fixture
def aelyst_sandbox_options() -> dict[str, object]:
    return {"processing": 2.0}  # any Sandbox option (default: none)


async def test_sign_up(aelyst_client: AelystClient, aelyst_sandbox: Sandbox) -> None:
    contact_id = await sign_up(aelyst_client, "ana@example.com", "Ana")

    stored = aelyst_sandbox.store.find_by_email("ana@example.com")
    assert stored is not None
    assert (stored["id"], stored["tags"]) == (contact_id, ["newsletter"])
    assert aelyst_sandbox.stats.queued == 1  # the tag met the 449 of a contact in processing,
    assert aelyst_sandbox.clock() >= 2.0  # and waited it out in virtual time, none real
