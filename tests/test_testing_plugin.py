"""The pytest plugin's fixtures (registered by the package's ``pytest11`` entry point, which
this suite loads like any user's), the sandbox thread and the client bound to it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aelyst_async import AelystClient, Contact
from aelyst_async.sandbox import Sandbox
from aelyst_async.testing import VirtualClock, running_sandbox, sandbox_client

ANA = "email:ana@example.com"


async def test_the_client_waits_on_the_sandbox_clock(
    aelyst_client: AelystClient, aelyst_sandbox: Sandbox
) -> None:
    assert isinstance(aelyst_sandbox.clock, VirtualClock)
    for _ in range(12):  # 5 per second on one path: windows at 0, 1 and 2 s
        await aelyst_client.contacts.create_or_update(ANA, Contact("Ana"))
    assert aelyst_sandbox.stats.requests == 12
    assert aelyst_sandbox.stats.rate_limited == 0
    assert aelyst_sandbox.clock() == aelyst_client.stats.throttle_wait >= 2.0
    assert (aelyst_sandbox.store.find_by_email("ana@example.com") or {})["firstName"] == "Ana"


async def test_retry_backoff_follows_the_clock_too(
    aelyst_client: AelystClient, aelyst_sandbox: Sandbox
) -> None:
    aelyst_sandbox.inject_fault("fail", times=3)
    await aelyst_client.contacts.create_or_update(ANA, Contact("Ana"))
    assert aelyst_client.stats.server_errors == 3
    assert aelyst_sandbox.clock() == aelyst_client.stats.retry_wait > 0


async def test_bulk_settle_delays_follow_the_clock(
    aelyst_client: AelystClient, aelyst_sandbox: Sandbox
) -> None:
    items = [(ANA, Contact("Ana")), (ANA, Contact("Ana", last_name="Lee"))]
    report = await aelyst_client.contacts.bulk_upsert(items, settle_delay=30)
    assert (report.succeeded, report.failed) == (2, 0)
    assert aelyst_sandbox.clock() >= 30  # the second item waited 30 s after a possible create


class TestOptions:
    @pytest.fixture
    def aelyst_sandbox_options(self) -> dict[str, object]:
        return {"processing": 2.0, "token": "my-token"}

    async def test_a_449_waits_on_the_clock(
        self, aelyst_client: AelystClient, aelyst_sandbox: Sandbox
    ) -> None:
        assert aelyst_sandbox.token == "my-token"
        await aelyst_client.contacts.create_or_update(ANA, Contact("Ana"))
        assert await aelyst_client.contacts.add_tags(ANA, ["vip"]) == 1
        assert aelyst_sandbox.stats.queued == aelyst_client.stats.queued == 1
        assert aelyst_sandbox.clock() >= 2.0  # past the processing window, in virtual time
        assert (aelyst_sandbox.store.find_by_email("ana@example.com") or {})["tags"] == ["vip"]


def test_the_client_works_from_sync_tests_in_any_loop(
    aelyst_client: AelystClient, aelyst_sandbox: Sandbox
) -> None:
    async def six_calls() -> None:
        for _ in range(6):
            await aelyst_client.contacts.create_or_update(ANA, Contact("Ana"))

    asyncio.run(six_calls())
    asyncio.run(six_calls())  # a second loop: the client opens nothing that outlives a call
    assert aelyst_sandbox.stats.requests == 12 and aelyst_sandbox.stats.rate_limited == 0


def test_the_plugin_adds_no_autouse_fixture(request: pytest.FixtureRequest) -> None:
    assert not [name for name in request.fixturenames if name.startswith("aelyst")]


def test_a_stopped_sandbox_and_a_real_clock() -> None:
    with running_sandbox() as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="not running"):
        sandbox.url  # noqa: B018
    with pytest.raises(TypeError, match="needs a sandbox on a VirtualClock"):
        sandbox_client(Sandbox())


def test_the_plugin_needs_no_pytest_asyncio_and_imports_nothing_unasked(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    (tmp_path / "test_a_unrelated.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_nothing_of_the_sdk_is_imported():
                assert "aelyst_async" not in sys.modules
                assert "pytest_asyncio" not in sys.modules
            """
        )
    )
    (tmp_path / "test_b_uses.py").write_text(
        textwrap.dedent(
            """
            import asyncio

            def test_fixtures(aelyst_client, aelyst_sandbox):
                from aelyst_async import Contact

                async def main():
                    for _ in range(6):
                        await aelyst_client.contacts.create_or_update(
                            "email:ana@example.com", Contact("Ana"))

                asyncio.run(main())
                assert aelyst_sandbox.clock() >= 1.0
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:asyncio", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
