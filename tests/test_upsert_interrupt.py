"""Ctrl-C during ``aelyst upsert``: the first winds the run down (journal consistent, exit 130),
the second ends the process at once; a cancellation is never taken for a stop of the run.

The interleavings are driven with events and with SIGINT raised from inside a send at a chosen
row (the handler runs before ``signal.raise_signal`` returns); nothing waits on time.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import json
import signal
import sys
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import pytest

import aelyst_async_cli
from aelyst_async import AuthenticationError
from aelyst_async._cli import interrupt, main
from aelyst_async._cli.rows import RowReader
from aelyst_async._cli.runwide import RunWideFailure
from aelyst_async._cli.steps import RowSteps
from aelyst_async._cli.upsert import _consume
from aelyst_async.testing import running_sandbox
from aelyst_async.types.bulk import BulkOutcome
from tests.cli_helpers import upserts

ROWS = 12
NO_SOURCE: Any = None  # (no outcome reaches it)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AELYST_API_TOKEN", "AELYST_BASE_URL", "AELYST_LOG"):
        monkeypatch.delenv(name, raising=False)


class _Run:
    """An outcome stream that yields nothing until cancelled, then winds down until
    ``release`` is set (as bulk does while it cancels and awaits the sends in flight)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.winding_down = asyncio.Event()
        self.release = asyncio.Event()
        self.wound_down = asyncio.Event()

    async def outcomes(self) -> AsyncGenerator[BulkOutcome, None]:
        try:
            self.started.set()
            await asyncio.Event().wait()
            yield BulkOutcome(0, "email:a@example.com", True)  # never reached
        finally:
            self.winding_down.set()
            await self.release.wait()
            self.wound_down.set()


def _refused() -> AuthenticationError:
    return AuthenticationError("bad token", status=401, method="POST", path="/contact")


async def test_a_stop_while_a_cancel_winds_down_does_not_swallow_the_cancel() -> None:
    run, detector = _Run(), RunWideFailure()
    task = asyncio.ensure_future(_consume(run.outcomes(), NO_SOURCE, detector))
    await run.started.wait()
    task.cancel()  # Ctrl-C...
    await run.winding_down.wait()
    detector.error(_refused())  # ...and, as the sends in flight end, the run is stopped
    run.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.wound_down.is_set() and detector.stopped.is_set()


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
async def test_a_cancel_while_a_stop_winds_down_is_not_swallowed(steps: int) -> None:
    run, detector = _Run(), RunWideFailure()
    task = asyncio.ensure_future(_consume(run.outcomes(), NO_SOURCE, detector))
    await run.started.wait()
    detector.error(_refused())  # the run is stopped...
    await run.winding_down.wait()
    for _ in range(steps):  # (each count: the task at another await of the wind-down)
        await asyncio.sleep(0)
    task.cancel()  # ...and Ctrl-C comes while it winds down
    run.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert detector.stopped.is_set()
    await run.wound_down.wait()  # (the stream's own cleanup goes on to its end)


async def test_a_cancel_waits_for_the_run_to_wind_down_then_goes_on() -> None:
    run = _Run()
    task = asyncio.ensure_future(_consume(run.outcomes(), NO_SOURCE, RunWideFailure()))
    await run.started.wait()
    task.cancel()
    await run.winding_down.wait()
    assert not task.done()
    run.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.wound_down.is_set()  # before the cancellation went on (the client closes after)


async def test_a_stop_alone_ends_the_consuming_quietly() -> None:
    run, detector = _Run(), RunWideFailure()
    task = asyncio.ensure_future(_consume(run.outcomes(), NO_SOURCE, detector))
    await run.started.wait()
    detector.error(_refused())
    run.release.set()
    await task
    assert run.wound_down.is_set() and detector.reason is not None


# -- the SIGINT handler (these tests run in the main thread, where it is installed) ------------


def test_the_first_ctrl_c_cancels_the_run_from_the_loop() -> None:
    interrupts = interrupt.Interrupts("upsert")
    steps: list[str] = []

    async def run() -> None:
        try:
            signal.raise_signal(signal.SIGINT)
            steps.append("the handler returned")  # it raised nothing here
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            steps.append("cancelled")
            await asyncio.sleep(0)  # the wind-down may await
            steps.append("wound down")
            raise

    with pytest.raises(KeyboardInterrupt):
        interrupts.run(run())
    assert steps == ["the handler returned", "cancelled", "wound down"]
    assert interrupts.count == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_second_ctrl_c_stops_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    exits: list[int] = []
    monkeypatch.setattr(interrupt, "_exit_now", exits.append)
    interrupts = interrupt.Interrupts("upsert", " (rerun with the same --journal to resume)")

    async def run() -> None:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        assert exits == [130]  # at once, from the handler, before the loop runs again
        await asyncio.sleep(0)

    with pytest.raises(KeyboardInterrupt):
        interrupts.run(run())
    assert exits == [130]
    assert capsys.readouterr().err == (
        "aelyst upsert: interrupted again: stopped at once "
        "(rerun with the same --journal to resume)\n"
    )


def test_a_ctrl_c_before_the_loop_runs_cancels_the_run_at_its_start() -> None:
    interrupts = interrupt.Interrupts("upsert")
    interrupts(signal.SIGINT, None)
    reached: list[str] = []

    async def run() -> None:
        await asyncio.sleep(0)
        reached.append("past the first await")

    with pytest.raises(KeyboardInterrupt):
        interrupts.run(run())
    assert reached == []


def test_a_cancel_without_ctrl_c_stays_a_cancel() -> None:
    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(0)

    with pytest.raises(asyncio.CancelledError):
        interrupt.Interrupts("upsert").run(run())


# -- the command, against a sandbox served from a thread ---------------------------------------


@pytest.fixture
def contacts_file(tmp_path: Path) -> str:
    path = tmp_path / "contacts.csv"
    rows = "".join(f"P{n},p{n}@example.com\n" for n in range(ROWS))
    path.write_text("firstName,email\n" + rows, encoding="utf-8")
    return str(path)


def _ctrl_c_at_send(monkeypatch: pytest.MonkeyPatch, number: int, presses: int) -> None:
    """Ctrl-C ``presses`` times as the ``number``-th row's send starts."""
    real = RowSteps.send
    sends = 0

    async def send(self: RowSteps, entry: Any) -> Any:
        nonlocal sends
        sends += 1
        if sends == number:
            for _ in range(presses):
                signal.raise_signal(signal.SIGINT)
        return await real(self, entry)

    monkeypatch.setattr(RowSteps, "send", send)


def _records(journal: str) -> Iterator[dict[str, Any]]:
    with open(journal, encoding="utf-8") as file:
        lines = file.read().splitlines()
    for line in lines[1:]:
        yield json.loads(line)


def test_ctrl_c_winds_the_run_down_and_a_rerun_resumes(
    contacts_file: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal = str(tmp_path / "import.journal")
    _ctrl_c_at_send(monkeypatch, 5, presses=1)
    with running_sandbox() as sb:
        argv = ["upsert", contacts_file, "--base-url", sb.base_url, "--token", sb.token]
        argv += ["--journal", journal, "--concurrency", "1", "--progress", "off"]
        assert main(argv) == 130
        err = capsys.readouterr().err
        assert "aelyst upsert: interrupted after" in err
        assert "rerun with the same --journal to resume" in err
        done = {r["identifier"] for r in _records(journal) if r["ok"]}
        assert 4 <= len(done) < ROWS
        first = upserts(sb)
        monkeypatch.undo()
        assert main(argv) == 0
        assert upserts(sb) - first == ROWS - len(done)  # a row done is never sent again
        emails = sorted(contact["email"] for contact in sb.store.contacts())
    assert emails == sorted(f"p{n}@example.com" for n in range(ROWS))  # none twice


def test_a_second_ctrl_c_stops_the_command_at_once_with_the_journal_whole(
    contacts_file: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal = str(tmp_path / "import.journal")
    at_exit: list[list[dict[str, Any]]] = []

    def exit_now(code: int) -> None:
        assert code == 130
        at_exit.append(list(_records(journal)))  # every line whole, as the process ends

    monkeypatch.setattr(interrupt, "_exit_now", exit_now)
    _ctrl_c_at_send(monkeypatch, 5, presses=2)
    with running_sandbox() as sb:
        argv = ["upsert", contacts_file, "--base-url", sb.base_url, "--token", sb.token]
        argv += ["--journal", journal, "--concurrency", "1", "--progress", "off"]
        assert main(argv) == 130
    assert len(at_exit) == 1
    assert {r["identifier"] for r in at_exit[0] if r["ok"]} >= {
        f"email:p{n}@example.com" for n in range(3)
    }
    err = capsys.readouterr().err
    assert (
        "aelyst upsert: interrupted again: stopped at once "
        "(rerun with the same --journal to resume)\n"
    ) in err


# -- before and after the event loop: one line, exit code 130 ----------------------------------


def test_ctrl_c_outside_the_run_is_one_line(
    contacts_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def count(self: Any) -> int:
        raise KeyboardInterrupt  # Ctrl-C while the rows of the file are counted

    monkeypatch.setattr(RowReader, "count", count)
    assert main(["upsert", contacts_file, "--sandbox"]) == 130
    assert capsys.readouterr().err == "aelyst: interrupted\n"


class _InterruptedImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "aelyst_async._cli":
            raise KeyboardInterrupt  # Ctrl-C while the SDK is being imported
        return None


def test_ctrl_c_while_the_command_is_imported_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "aelyst_async._cli")
    monkeypatch.setattr(sys, "meta_path", [_InterruptedImport(), *sys.meta_path])
    assert aelyst_async_cli.main() == 130
    assert capsys.readouterr().err == "aelyst: interrupted\n"
