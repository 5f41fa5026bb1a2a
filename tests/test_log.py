"""AELYST_LOG in the library (issue 19): one line per attempt at debug with identifier values
masked, throttle decisions, retries and give-ups at info; never the token; one stderr handler
on the package's logger only. MockTransport on its virtual clock; one real subprocess."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from aelyst_async import (
    AelystClient,
    APIError,
    RateLimitPolicy,
    RetryPolicy,
    ServerError,
    TransportError,
    _log,
)
from aelyst_async._log import LOGGER, StderrHandler
from aelyst_async._mask import masked
from aelyst_async.testing import MockRequest, MockResponse, MockTransport

TOKEN = "tok-log-s3cr3t-77"
EMAIL = "email:ana@example.com"


def echoing(*statuses: int) -> MockTransport:
    """Answers with ``statuses`` in turn, then 200; every answer echoes the token in a header
    and in its body, as a careless proxy would."""
    answers = iter(statuses)

    def handler(request: MockRequest) -> MockResponse:
        status = next(answers, 200)
        echo = request.headers["Authorization"]
        body = {"id": 7, "firstName": "Ana", "note": echo}
        if status >= 300:
            body = {"code": status, "message": f"busy {echo}"}
        return MockResponse(status, body, {"X-Echo": echo, "Retry-After": "1"})

    return MockTransport(handler)


def test_masked_hides_every_identifier_value() -> None:
    assert masked("/contact/email:ana@example.com/tag") == "/contact/email:***/tag"
    assert masked("POST /contact/create_or_update/phone:+60123") == (
        "POST /contact/create_or_update/phone:***"
    )
    assert masked("/contact/id:7/message/1042?limit=5") == "/contact/id:***/message/1042?limit=***"
    assert masked("email:a@b.c") == "email:***"


def test_masked_hides_every_query_value_and_keeps_the_names() -> None:
    assert masked("/space/user?cursorId=9") == "/space/user?cursorId=***"
    assert masked("GET /contact/list?email=secret.person%40example.com&limit=5&flag&empty=") == (
        "GET /contact/list?email=***&limit=***&flag&empty="
    )
    assert masked("/contact/list?q=a%3Db#frag") == "/contact/list?q=***#frag"
    assert masked("/contact/list") == "/contact/list"
    error = TransportError("timed out", method="GET", path="/contact/list?email=a%40b.c")
    assert str(error) == "GET /contact/list?email=***: timed out"


async def test_debug_gives_one_line_per_attempt_masked_and_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="aelyst_async")
    async with AelystClient(TOKEN, transport=echoing(503)) as client:
        await client.contacts.get(EMAIL)
    lines = [r.getMessage() for r in caplog.records if r.name == "aelyst_async"]
    attempts = [line for line in lines if "(attempt" in line]
    assert attempts == [
        "aelyst_async: GET /contact/email:*** -> 503 (attempt 1, 0 ms, throttle wait 0 ms)",
        "aelyst_async: GET /contact/email:*** -> 200 (attempt 2, 0 ms, throttle wait 0 ms)",
    ]
    retry = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retry) == 1 and retry[0].levelno == logging.INFO
    assert TOKEN not in caplog.text and "ana@example.com" not in caplog.text


async def test_query_values_are_masked_in_the_log_and_the_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="aelyst_async")
    async with AelystClient(TOKEN, transport=echoing(405, 405, 405)) as client:
        with pytest.raises(APIError) as info:
            await client.request(
                "GET", "/contact/list", params={"email": "secret.person@example.com", "n": 2}
            )
    attempt = next(r.getMessage() for r in caplog.records if "(attempt" in r.getMessage())
    assert attempt.startswith("aelyst_async: GET /contact/list?email=***&n=*** -> 405")
    assert str(info.value) == "GET /contact/list?email=***&n=*** -> 405: busy Bearer ***"
    assert "secret.person" not in caplog.text + str(info.value) + repr(info.value)
    assert info.value.path == "/contact/list?email=secret.person%40example.com&n=2"


async def test_debug_shows_the_throttles_waits_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aelyst_async")
    transport = echoing()
    policy = RateLimitPolicy(per_path=1, period=2.0)
    async with AelystClient(TOKEN, transport=transport, rate_limit=policy) as client:
        await client.contacts.get(EMAIL)
        await client.contacts.get(EMAIL)
    waits = [r.getMessage() for r in caplog.records if "waited" in r.getMessage()]
    assert len(waits) == 1
    assert waits[0].startswith("aelyst_async: GET /contact/email:*** waited 2.0")
    assert waits[0].endswith("s (path)")
    assert "throttle wait 20" in caplog.text  # the second attempt's line says it too


async def test_info_gives_retries_and_give_ups_but_no_attempt_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="aelyst_async")
    retry = RetryPolicy(max_attempts=2)
    async with AelystClient(TOKEN, transport=echoing(500, 502), retry=retry) as client:
        with pytest.raises(ServerError):
            await client.contacts.get(EMAIL)
    lines = [r.getMessage() for r in caplog.records]
    assert not any("(attempt" in line for line in lines)
    assert any("attempt 1 got 500; retrying" in line for line in lines)
    assert "aelyst_async: GET /contact/email:***: gave up after 2 attempts (last: 502)" in lines
    assert TOKEN not in caplog.text


async def test_lines_below_the_level_are_never_formatted(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, logger="aelyst_async")

    def costly(text: str) -> str:
        raise AssertionError("a disabled line was formatted")

    monkeypatch.setattr(_log, "masked", costly)
    async with AelystClient(TOKEN, transport=echoing(503)) as client:
        assert (await client.contacts.get(EMAIL)).id == 7


@pytest.fixture
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> object:
    """As in a new process: AELYST_LOG not applied yet; the package logger restored after."""
    monkeypatch.setattr(_log, "_configured", False)
    handlers, level = list(LOGGER.handlers), LOGGER.level
    yield None
    LOGGER.handlers[:] = handlers
    LOGGER.setLevel(level)


@pytest.mark.usefixtures("fresh_logging")
async def test_the_first_client_attaches_one_stderr_handler_to_the_package_logger(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AELYST_LOG", "Debug")
    root = list(logging.getLogger().handlers)
    async with AelystClient(TOKEN, transport=echoing()) as client:
        AelystClient(TOKEN, transport=echoing())  # a second client adds nothing
        await client.contacts.get(EMAIL)
    ours = [h for h in LOGGER.handlers if isinstance(h, StderrHandler)]
    assert len(ours) == 1 and ours[0].level == logging.DEBUG
    assert logging.getLogger().handlers == root
    err = capsys.readouterr().err
    assert "DEBUG aelyst_async: GET /contact/email:*** -> 200 (attempt 1" in err
    assert TOKEN not in err


@pytest.mark.usefixtures("fresh_logging")
def test_a_bad_aelyst_log_warns_once_and_logs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AELYST_LOG", "loud")
    with pytest.warns(RuntimeWarning, match="AELYST_LOG must be one of debug, info, warning"):
        AelystClient(TOKEN, transport=echoing())
    AelystClient(TOKEN, transport=echoing())  # no second warning (filterwarnings = error)
    assert not any(isinstance(h, StderrHandler) for h in LOGGER.handlers)


SCRIPT = textwrap.dedent(
    """
    import asyncio, logging
    from aelyst_async import AelystClient
    from aelyst_async.testing import MockResponse, MockTransport

    async def main():
        transport = MockTransport(lambda r: MockResponse(200, {"id": 7, "firstName": "A"}))
        async with AelystClient("tok-sub-9191", transport=transport) as client:
            await client.contacts.get("phone:+60123456789")
        print(len(logging.getLogger().handlers))

    asyncio.run(main())
    """
)


def test_any_program_gets_the_lines_on_stderr() -> None:
    env = {**os.environ, "AELYST_LOG": "debug"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"  # the root logger untouched
    line = "DEBUG aelyst_async: GET /contact/phone:*** -> 200 (attempt 1"
    assert line in done.stderr
    assert "tok-sub-9191" not in done.stderr and "+60123456789" not in done.stderr


@pytest.mark.usefixtures("fresh_logging")
async def test_without_aelyst_log_nothing_is_attached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AELYST_LOG", raising=False)
    before = list(LOGGER.handlers), LOGGER.level
    async with AelystClient(TOKEN, transport=echoing(503)) as client:
        await client.contacts.get(EMAIL)
    assert (list(LOGGER.handlers), LOGGER.level) == before
    assert capsys.readouterr().err == ""
