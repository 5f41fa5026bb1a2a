"""The token in every form a server may echo it, through the public client and the command:
in error bodies, excerpts, a redirect's Location, pagination URLs and cursors, and transport
errors. Each error's whole cause chain and formatted traceback is searched."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web

from aelyst_async import AelystClient, AelystError, Contact, RetryPolicy
from tests.cli_helpers import aelyst
from tests.test_redact import FORMS, TOKENS, token_bits_in

TOKEN = "s3cr+t/tok3n=="
ONCE = RetryPolicy(max_attempts=1)
Answer = Callable[[str], web.Response]
"""An answer of the echo server, given the form of the Authorization header to echo."""


def _json(status: int, body: object, **headers: str) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


PLACES: dict[str, Answer] = {
    "error message": lambda echo: _json(400, {"code": 400, "message": f"bad header {echo}"}),
    "undocumented error body": lambda echo: web.Response(
        status=502, text=f"<html>proxy error; you sent {echo}</html>"
    ),
    "long error body, the echo at the cut": lambda echo: web.Response(
        status=502, text="\U0001d11e" * 198 + echo + "x" * 500
    ),
    "redirect Location": lambda echo: web.Response(
        status=302, headers={"Location": f"https://login.example/?auth={echo}"}
    ),
    "malformed success body": lambda echo: _json(200, {"contactId": echo}),
    "pagination.next without cursorId": lambda echo: _json(
        200, {"items": [], "pagination": {"next": f"https://x.example/users?auth={echo}"}}
    ),
    "repeated page cursor": lambda echo: _json(
        200,
        {"items": [], "pagination": {"next": f"https://x.example/users?cursorId={quote(echo)}"}},
    ),
}
LISTING = {"pagination.next without cursorId", "repeated page cursor"}


def _html_page(status: int) -> Answer:
    return lambda echo: web.Response(status=status, text=f"<pre>Bearer {echo}</pre>")


def _header(echo: str) -> web.Response:
    return _json(400, {"code": 400, "message": "bad"}, **{"X-Echo": echo, "X-Request-Id": echo})


# the tester's places: an HTML error page (4xx and 5xx), a header, a redirect, a bad 2xx body
ERROR_PATHS: dict[str, Answer] = {
    "400 HTML page": _html_page(400),
    "400 header": _header,
    "302 Location": lambda echo: web.Response(
        status=302, headers={"Location": "https://x.example/?t=" + echo}
    ),
    "502 HTML page": _html_page(502),
    "200 not JSON": lambda echo: web.Response(status=200, text="not json " + echo),
    "403 message": lambda echo: _json(403, {"code": 403, "message": f"bad header {echo}"}),
}
ESCAPED_FORMS = [
    "as given",
    "JSON, ensure_ascii (surrogate pairs)",
    "JSON, ES6 \\u{...}",
    "HTML-escaped",
    "HTML-escaped twice",
    "XML-escaped (&apos;)",
    "HTML, every character &#NN;",
    "HTML, every character &#xNN;",
    "HTML, unterminated &#NN",
    "HTML, its & JSON-escaped (Go)",
    "Python bytes repr",
    "Python bytes repr, repr again",
    "Python str repr",
    "Python ascii()",
    "octal bytes",
    "UTF-8 read as Latin-1",
    "upper-cased",
    "naive \\u of each code point",
    "percent-encoded",
]


class EchoServer:
    """A local server answering every request by echoing its Authorization header in ``form``
    at ``place`` (an :data:`Answer`), or with a status line holding it (a transport error)."""

    def __init__(self) -> None:
        self.form: Callable[[str], str] = FORMS["as given"]
        self.place: Answer = PLACES["error message"]
        self.custom_fields: Answer | None = None  # the answer to GET /space/custom_field
        self.status_padding = ""  # before the echo, in the broken status line
        self.requests = 0

    def echo(self, authorization: str) -> str:
        return self.form(authorization.removeprefix("Bearer "))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        echo = self.echo(request.headers.get("Authorization", ""))
        if self.custom_fields is not None and request.path.endswith("/space/custom_field"):
            return self.custom_fields(echo)
        return self.place(echo)

    async def raw(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        header = next(x for x in head.split(b"\r\n") if x.lower().startswith(b"authorization:"))
        echo = self.echo(header.split(b":", 1)[1].decode().strip())
        line = f"HTTP/1.1 2x0 {self.status_padding}{echo}"
        writer.write(f"{line}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[EchoServer, str, str]]:
    """The echo server, its HTTP base URL, and the base URL of its broken-status-line twin."""
    echo = EchoServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    raw = await asyncio.start_server(echo.raw, "127.0.0.1", 0)
    raw_port = raw.sockets[0].getsockname()[1]
    try:
        yield (
            echo,
            f"http://127.0.0.1:{runner.addresses[0][1]}/v1",
            f"http://127.0.0.1:{raw_port}/v1",
        )
    finally:
        raw.close()
        await raw.wait_closed()
        await runner.cleanup()


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception behind it (``__cause__`` and ``__context__``)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def everything_shown(error: BaseException) -> str:
    """Every text the error can show: each one's str, repr, args and attributes, and the
    formatted traceback of the whole chain."""
    parts = [*traceback.format_exception(type(error), error, error.__traceback__)]
    for current in chain(error):
        parts += [str(current), repr(current), *map(str, current.args)]
        parts += [str(value) for value in vars(current).values()]
    return "\n".join(parts)


async def _list_users(client: AelystClient) -> None:
    async for _ in client.workspace.list_users():
        pass


async def _fail(client: AelystClient, listing: bool) -> AelystError:
    call = (
        _list_users(client) if listing else client.contacts.create_or_update("id:1", Contact("A"))
    )
    with pytest.raises(AelystError) as info:
        await call
    return info.value


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("form", list(FORMS))
async def test_no_form_of_the_token_in_any_error(
    server: tuple[EchoServer, str, str], form: str, place: str
) -> None:
    echo, base_url, _ = server
    echo.form, echo.place = FORMS[form], PLACES[place]
    async with AelystClient(TOKEN, base_url=base_url, retry=ONCE) as client:
        error = await _fail(client, place in LISTING)
    assert echo.requests >= 1
    shown = everything_shown(error)
    assert token_bits_in(shown, TOKEN) == [], shown
    if place == "long error body, the echo at the cut":  # cut showing no start of the echo
        form_text = FORMS[form](TOKEN)
        head = shown.split("'...", 1)[0]
        assert "\\\\U0001d11e" * 10 in head  # the excerpt is quoted: repr of the escapes
        assert not any(head.endswith(form_text[:k]) for k in range(3, len(form_text)))
    else:
        assert "***" in shown


@pytest.mark.parametrize("form", list(FORMS))
async def test_no_form_of_the_token_in_a_transport_error(
    server: tuple[EchoServer, str, str], form: str
) -> None:
    echo, _, broken_url = server
    echo.form = FORMS[form]
    async with AelystClient(TOKEN, base_url=broken_url, retry=ONCE) as client:
        error = await _fail(client, listing=True)
    shown = everything_shown(error)
    assert "status line" in shown.lower() or "status code" in shown.lower()
    assert token_bits_in(shown, TOKEN) == [], shown
    assert "***" in shown


async def test_a_long_transport_error_is_cut_before_the_echo(
    server: tuple[EchoServer, str, str],
) -> None:
    echo, _, broken_url = server
    echo.status_padding = "x" * 380  # the echo starts near where the message is cut
    async with AelystClient(TOKEN, base_url=broken_url, retry=ONCE) as client:
        error = await _fail(client, listing=True)
    shown = everything_shown(error)
    assert token_bits_in(shown, TOKEN) == [] and "s3c" not in shown
    assert "x" * 300 in error.message and len(error.message) < 500


@pytest.mark.parametrize(
    "form", ["as given", "JSON, .NET (\\u002B)", "percent-encoded", "Basic base64(user:token)"]
)
async def test_the_command_prints_and_writes_no_form_of_the_token(
    server: tuple[EchoServer, str, str],
    form: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    echo, base_url, _ = server
    echo.form = FORMS[form]
    echo.custom_fields = lambda e: _json(403, {"code": 403, "message": f"bad header {e}"})
    rows = tmp_path / "contacts.csv"
    rows.write_text("firstName,email\nAna,ana@example.com\nBo,bo@example.com\n", encoding="utf-8")
    report, journal = tmp_path / "failed.csv", tmp_path / "journal.jsonl"
    argv = ["upsert", str(rows), "--base-url", base_url, "--token", TOKEN]
    code = await aelyst(*argv, "--report", str(report), "--journal", str(journal))
    assert code == 1
    captured = capsys.readouterr()
    reported, journaled = report.read_text("utf-8"), journal.read_text("utf-8")
    for text in (captured.out, captured.err, reported, journaled):
        assert token_bits_in(text, TOKEN) == [], text
    assert "***); checking cf: values by their shape only" in captured.err
    assert "***\n" in captured.out and "***" in reported and "***" in journaled


async def test_an_unexpected_error_of_the_command_is_printed_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aelyst_async._cli import upsert

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("proxy said: " + FORMS["JSON, .NET (\\u002B)"](TOKEN))

    monkeypatch.setattr(upsert, "RowReader", broken)
    rows = tmp_path / "contacts.csv"
    rows.write_text("firstName\nAna\n", encoding="utf-8")
    assert await aelyst("upsert", str(rows), "--dry-run", "--token", TOKEN) == 2
    err = capsys.readouterr().err
    assert "unexpected error: RuntimeError: proxy said: *** (AELYST_LOG" in err
    assert token_bits_in(err, TOKEN) == []


def _bits_anywhere(error: BaseException, token: str) -> list[str]:
    """The forms of ``token`` in anything the error shows, its headers included."""
    shown = everything_shown(error) + "\n" + repr(dict(getattr(error, "headers", {})))
    return token_bits_in(shown, token)


@pytest.mark.parametrize("token", TOKENS[3:])
@pytest.mark.parametrize("place", list(ERROR_PATHS))
@pytest.mark.parametrize("form", ESCAPED_FORMS)
async def test_no_escaped_form_of_a_token_with_quotes_ampersands_or_non_ascii(
    server: tuple[EchoServer, str, str], form: str, place: str, token: str
) -> None:
    echo, base_url, _ = server
    echo.form, echo.place = FORMS[form], ERROR_PATHS[place]
    async with AelystClient(token, base_url=base_url, retry=ONCE) as client:
        with pytest.raises(AelystError) as info:
            await client.contacts.get("id:1")
    assert echo.requests == 1
    assert echo.echo(f"Bearer {token}") == FORMS[form](token)  # the server saw the token
    assert _bits_anywhere(info.value, token) == [], everything_shown(info.value)
    assert "***" in everything_shown(info.value) + repr(dict(getattr(info.value, "headers", {})))


@pytest.mark.parametrize("form", ["as given", "Python bytes repr"])
async def test_no_form_of_a_non_ascii_token_in_a_transport_error(
    server: tuple[EchoServer, str, str], form: str
) -> None:
    token = TOKENS[-1]
    echo, _, broken_url = server
    echo.form = FORMS[form]
    async with AelystClient(token, base_url=broken_url, retry=ONCE) as client:
        error = await _fail(client, listing=True)
    assert _bits_anywhere(error, token) == [], everything_shown(error)
    assert "***" in everything_shown(error)
