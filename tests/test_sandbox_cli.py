"""``aelyst sandbox``: the documented curl example against a real process on a real port."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sys
import urllib.request
from typing import Any

import aiohttp
import pytest

from aelyst_async._cli import main
from aelyst_async._cli import sandbox as sandbox_command
from aelyst_async._cli.main import build_parser
from tests.sandbox_helpers import EXAMPLE_BODY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _post(url: str, token: str, body: bytes) -> bytes:
    """The documented curl example (curl itself when installed)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    curl = shutil.which("curl")
    if curl is not None:
        import subprocess

        args = [curl, "-sS", "--noproxy", "*", "-X", "POST", url, "--data-binary", body.decode()]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        return subprocess.run(args, capture_output=True, check=True, timeout=30).stdout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, body, headers), timeout=30) as resp:
        result: bytes = resp.read()
        return result


async def test_documented_curl_example_against_the_command() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aelyst_async", "sandbox", "--port", str(_free_port()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(2)]
        base_url = lines[0].split(" at ")[1].strip()
        token = lines[1].split("token: ")[1].strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        url = f"{base_url}/contact/create_or_update/email:abdc@gmail.com"
        body = json.dumps(EXAMPLE_BODY).encode()
        reply = await asyncio.to_thread(_post, url, token, body)
        assert reply == b'{"contactId": 1}'
    finally:
        proc.terminate()
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert b"sandbox stopped" in out


def test_parser_declares_every_documented_option() -> None:
    argv = (
        "sandbox --port 9000 --host 0.0.0.0 --token T --per-path 10 --period 2 --window sliding "
        "--workspace 50 --processing 3 --fail-rate 0.1 --lose-rate 0.05 --malformed-rate 0.01 "
        "--latency 0.2 --seed 7 --db x.sqlite --custom-field Seats=number "
        "--custom-field Plan=list:A,B --latency-jitter 0.05 --fail-applied-rate 0.02 "
        "--workspace-schedule 0=80,20=30,40=none --lifecycle Lead --lifecycle Customer --quirks"
    )
    args = build_parser().parse_args(argv.split(" "))
    assert (args.port, args.host, args.token, args.per_path, args.period) == (
        9000, "0.0.0.0", "T", 10, 2.0,
    )  # fmt: skip
    assert (args.window, args.workspace, args.processing, args.seed, args.db) == (
        "sliding", 50, 3.0, 7, "x.sqlite",
    )  # fmt: skip
    assert (args.fail_rate, args.lose_rate, args.malformed_rate, args.latency) == (
        0.1, 0.05, 0.01, 0.2,
    )  # fmt: skip
    assert args.custom_field == ["Seats=number", "Plan=list:A,B"]
    assert (args.latency_jitter, args.fail_applied_rate) == (0.05, 0.02)
    assert args.workspace_schedule == ((0.0, 80), (20.0, 30), (40.0, None))
    assert args.lifecycle == ["Lead", "Customer"]
    assert args.quirks is True


@pytest.mark.parametrize(
    "argv",
    [
        ["sandbox", "--fail-rate", "2"],
        ["sandbox", "--custom-field", "Seats"],
        ["sandbox", "--custom-field", "Seats=colour"],
        ["sandbox", "--latency", "0.1", "--latency-jitter", "-1"],
    ],
)
def test_bad_options_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("aelyst sandbox:")


@pytest.mark.parametrize("schedule", ["10", "x=5", "5=0", "-1=5"])
def test_a_bad_workspace_schedule_is_a_usage_error(
    schedule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sandbox", "--workspace-schedule", schedule])
    assert exc.value.code == 2
    assert "AT=LIMIT" in capsys.readouterr().err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "run the local Aelyst API sandbox" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "enabled"), [([], False), (["--quirks"], True)])
def test_quirks_flag_turns_on_the_variant_answers(
    argv: list[str], enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []

    async def serve(sandbox: Any) -> None:
        async with sandbox, aiohttp.ClientSession() as session:
            headers = {"Authorization": f"Bearer {sandbox.token}"}
            async with session.get(f"{sandbox.base_url}/space/user/1", headers=headers) as resp:
                served.append((sandbox, await resp.json()))

    monkeypatch.setattr(sandbox_command, "_serve", serve)
    assert main(["sandbox", "--seed", "4", "--port", "0", *argv]) == 0
    [(sandbox, user)] = served
    assert (sandbox.quirks.enabled, sandbox.seed) == (enabled, 4)
    assert bool(set(user) - {"id", "firstName", "lastName", "email", "role", "team",
                             "restrictions"}) == enabled  # an unknown key: quirks only  # fmt: skip
