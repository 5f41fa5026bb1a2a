"""An API that cannot be reached stops ``aelyst upsert`` / ``aelyst export`` early, with the hint
for the actual cause — each cause produced for real on the loopback interface."""

from __future__ import annotations

import asyncio
import gc
import shutil
import socket
import ssl
import subprocess
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from aelyst_async.sandbox import Sandbox
from tests.cli_helpers import aelyst, no_backoff

REFUSED = "the connection was refused: nothing listens at that host and port"
UNRESOLVED = "the host name does not resolve"
HANDSHAKE = "the TLS handshake failed"
UNTRUSTED = "the server's TLS certificate is not trusted"
TIMEOUT = "no answer within --timeout"
HINTS = (REFUSED, UNRESOLVED, HANDSHAKE, UNTRUSTED, TIMEOUT)
NO_SUCH_HOST = "aelyst-test.invalid"


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AELYST_API_TOKEN", "AELYST_BASE_URL", "AELYST_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    no_backoff(monkeypatch)


@pytest.fixture(autouse=True)
def collect_server_sides() -> Iterator[None]:
    """Collect here the server side of connections these tests' clients reset at once.

    Traced (a hook on the transports' creation and ``__del__``): the unclosed transports these
    tests leave are never the client's. They are the *server* side of a connection the client
    resets in the same instant (a TLS hello to plain HTTP, an untrusted certificate), made by
    asyncio's accept (``_accept_connection2``) and never handed to the server (aiohttp's
    ``connection_made`` never ran), or a TLS server's handshake still in progress when the
    test's server closes; no server can close a transport it was never given. They sit in a
    reference cycle, so without this the garbage collector reports them in whatever test runs
    next (a ResourceWarning, an error under ``filterwarnings = error``).
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@asynccontextmanager
async def silent_server(context: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server that takes connections (TLS with ``context``) and never answers: its port.

    Without TLS nothing is accepted: the kernel completes each connection into the listen
    backlog and buffers the request, and closing the listener resets them, so no socket of
    this process outlives it. A connection accepted as the block ended was left open (an
    unclosed-transport ResourceWarning, at random). TLS needs the handshake: connections are
    accepted, held, and each closed (and waited for) on the way out.
    """
    if context is None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1024)
            yield listener.getsockname()[1]
        return
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read()  # until the client goes

    server = await asyncio.start_server(hold, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        for writer in writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)


def self_signed(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    make = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*make, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def unresolvable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver answers "no such name" for :data:`NO_SUCH_HOST` (as DNS does for .invalid)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == NO_SUCH_HOST:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


async def run(command: str, tmp_path: Path, base_url: str) -> int:
    argv = [
        "--token",
        "not-a-real-token",
        "--base-url",
        base_url,
        "--timeout",
        "0.05",  # the silent server never answers: any timeout is met
        "--progress",
        "off",
    ]
    if command == "export":
        return await aelyst("export", str(tmp_path / "out.csv"), *argv)
    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(200))
    (tmp_path / "c.csv").write_text("firstName,email\n" + rows, encoding="utf-8")
    return await aelyst("upsert", str(tmp_path / "c.csv"), *argv)


def assert_stopped_with(err: str, out: str, base_url: str, hint: str) -> None:
    assert f"cannot reach the API at {base_url}: " in err
    assert hint in err and "check --base-url" in err
    assert [other for other in HINTS if other != hint and other in err] == []
    assert out.count("line ") < 20  # stopped early, not one error per row


@pytest.mark.parametrize("command", ["upsert", "export"])
async def test_a_refused_connection_is_named_as_such(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    assert await run(command, tmp_path, base_url) == 2
    captured = capsys.readouterr()
    assert_stopped_with(captured.err, captured.out, base_url, REFUSED)
    assert "TLS" not in captured.err


async def test_a_host_name_that_does_not_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unresolvable(monkeypatch)
    base_url = f"https://{NO_SUCH_HOST}/v1"
    assert await run("upsert", tmp_path, base_url) == 2
    captured = capsys.readouterr()
    assert_stopped_with(captured.err, captured.out, base_url, UNRESOLVED)


async def test_https_to_a_plain_http_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sb:
        base_url = sb.base_url.replace("http://", "https://")
        assert await run("upsert", tmp_path, base_url) == 2
        assert sb.stats.requests == 0
    captured = capsys.readouterr()
    assert_stopped_with(captured.err, captured.out, base_url, HANDSHAKE)


async def test_an_untrusted_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with silent_server(self_signed(tmp_path)) as port:
        base_url = f"https://127.0.0.1:{port}/v1"
        assert await run("upsert", tmp_path, base_url) == 2
    captured = capsys.readouterr()
    assert_stopped_with(captured.err, captured.out, base_url, UNTRUSTED)


@pytest.mark.parametrize("command", ["upsert", "export"])
async def test_a_server_that_never_answers(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with silent_server() as port:
        base_url = f"http://127.0.0.1:{port}/v1"
        assert await run(command, tmp_path, base_url) == 2
    captured = capsys.readouterr()
    assert_stopped_with(captured.err, captured.out, base_url, TIMEOUT)
