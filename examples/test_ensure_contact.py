from aelyst_async import AelystClient, Contact, NotFoundError
from aelyst_async.testing import MockRequest, MockResponse, MockTransport


async def ensure_contact(client: AelystClient, email: str) -> int:  # the code under test
    try:
        return (await client.contacts.get(f"email:{email}")).id
    except NotFoundError:
        result = await client.contacts.create_or_update(f"email:{email}", Contact("New"))
        return result.contact_id


def api(request: MockRequest) -> MockResponse | None:
    if request.method == "GET":
        return MockResponse(404, {"code": 404, "message": "Contact not found"})
    if request.path.startswith("/contact/create_or_update/"):
        return MockResponse(200, {"contactId": 7})
    return None  # any other request fails the call at once, naming it


async def test_ensure_contact_creates_a_missing_one() -> None:
    transport = MockTransport(api)
    client = AelystClient("test-token", transport=transport)

    assert await ensure_contact(client, "ana@example.com") == 7

    assert [(r.method, r.path) for r in transport.requests] == [
        ("GET", "/contact/email:ana@example.com"),
        ("POST", "/contact/create_or_update/email:ana@example.com"),
    ]
    assert transport.requests[1].json == {"firstName": "New"}
