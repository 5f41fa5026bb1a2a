"""``aelyst upsert``: files in, outcomes out, exit codes.

The command runs its own event loop, so each test runs it in a worker thread
(``asyncio.to_thread``) while the test's loop serves the sandbox it inspects.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from aelyst_async import AelystClient, ContactValidationError, ValidationProblem
from aelyst_async._bulk import BulkProgress
from aelyst_async._cli import main
from aelyst_async._cli.display import Display, Failure, describe_error
from aelyst_async.sandbox import Sandbox
from tests.bulk_helpers import Gauge
from tests.cli_helpers import upserts

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def upsert(*argv: str) -> int:
    """``aelyst upsert ARGV...`` through the real entry point (argparse's exit as a code)."""
    try:
        return await asyncio.to_thread(main, ["upsert", *argv])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AELYST_API_TOKEN", raising=False)
    monkeypatch.delenv("AELYST_BASE_URL", raising=False)


async def test_the_example_file_upserts_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert await upsert(str(EXAMPLES / "contacts.csv"), "--sandbox") == 0
    out = capsys.readouterr().out
    assert out.startswith("total 300, succeeded 300, failed 0, 429 responses 0, elapsed ")


async def test_the_jsonl_example_upserts_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert await upsert(str(EXAMPLES / "contacts.jsonl"), "--sandbox") == 0
    assert "succeeded 12, failed 0" in capsys.readouterr().out


async def test_the_example_with_errors_reports_each_failed_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "failed.jsonl"
    code = await upsert(
        str(EXAMPLES / "contacts-with-errors.csv"), "--sandbox", "--report", str(report)
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "total 40, succeeded 32, failed 8" in out
    assert (
        "line 5 (email:ren.tanaka4+demo@example.com): countryCode: not an ISO 3166-1 alpha-2 code"
        in out
    )
    assert "line 24 (phone:+351912344385): firstName: is required" in out
    assert "line 37 (no identifier): email: no email, phone or identifier" in out
    assert (  # checked against the workspace's list field before sending
        "line 20 (email:julia.jansen19+demo@example.com): cf:Plan: 'Platinum' is not one of the "
        "options of Plan: Free, Starter, Pro, Enterprise" in out
    )
    assert (
        "line 29 (email:leon.becker28+demo@example.com): cf:Renewal Date: not a yyyy-mm-dd date: "
        "'31/12/2027'" in out
    )
    assert "400 Validation error" not in out
    assert "line 9 (email:maria.at.example.com): email: not a valid email address" in out
    # listed again at the end, in file order
    listed = out[out.index("8 failed rows, in file order:") :].splitlines()[1:9]
    assert [int(line.split()[1]) for line in listed] == [5, 9, 14, 20, 24, 29, 33, 37]
    records = [json.loads(line) for line in report.read_text().splitlines()]
    assert [r["error"].split(":")[0] for r in records] == [
        f"line {n}" for n in (5, 9, 14, 20, 24, 29, 33, 37)
    ]
    by_line = {int(r["error"].split(":")[0][5:]): r for r in records}
    assert by_line[5]["email"] == "ren.tanaka4+demo@example.com"  # wire-format bodies
    assert by_line[5]["countryCode"] == "Portugal"
    assert "countryCode: not an ISO 3166-1" in by_line[5]["error"]
    assert "cf:Plan: 'Platinum' is not one of" in by_line[20]["error"]
    assert {"name": "Plan", "value": "Platinum"} in by_line[20]["custom_fields"]
    assert by_line[33]["identifier"] == "mail:someone@example.com"
    assert "firstName" not in by_line[24] and by_line[24]["phone"] == "+351912344385"
    wire = {"firstName", "lastName", "email", "phone", "language", "countryCode", "profilePic"}
    assert all(set(r) <= wire | {"custom_fields", "identifier", "error"} for r in records)


async def test_rows_land_in_the_server_as_typed_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "firstName,email,phone,cf:Seats,cf:Newsletter,cf:Notes,identifier\n"
        "Ana,ana@example.com,,3,true,Likes tea,\n"
        "Bo,,+351912345678,2.5,,,\n"
        "Cy,,,,false,,email:cy@example.com\n",
    )
    async with Sandbox() as sb:
        code = await upsert(path, "--base-url", sb.base_url, "--token", sb.token)
        assert code == 0
        ana = sb.store.find_by_email("ana@example.com")
        bo = sb.store.find_by_phone("+351912345678")
        cy = sb.store.find_by_email("cy@example.com")
    assert ana is not None and ana["custom_fields"] == {
        "Seats": 3,
        "Newsletter": "true",
        "Notes": "Likes tea",
    }
    assert bo is not None and bo["custom_fields"] == {"Seats": 2.5}
    assert (
        cy is not None
        and cy["firstName"] == "Cy"
        and cy["custom_fields"] == {"Newsletter": "false"}
    )


async def test_a_journal_resumes_and_retries_the_failed_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = str(tmp_path / "import.journal")
    rows = (
        "firstName,email,countryCode\n"
        "Ana,a@example.com,PT\nBo,b@example.com,{}\nCy,c@example.com,ES\n"
    )
    path = write(tmp_path, "c.csv", rows.format("Portugal"))
    async with Sandbox() as sb:
        args = ("--base-url", sb.base_url, "--token", sb.token, "--journal", journal)
        assert await upsert(path, *args) == 1
        assert "line 3 (email:b@example.com): countryCode:" in capsys.readouterr().out
        assert upserts(sb) == 2
        write(tmp_path, "c.csv", rows.format("PT"))  # the file is fixed
        assert await upsert(path, *args) == 0
        out = capsys.readouterr().out
        assert "total 3, succeeded 1, failed 0, skipped 2 (done in an earlier run)" in out
        assert upserts(sb) == 3
        assert await upsert(path, *args) == 0
        assert upserts(sb) == 3
    assert "skipped 3" in capsys.readouterr().out


async def test_dry_run_sends_nothing_and_needs_no_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await upsert(str(EXAMPLES / "contacts.csv"), "--dry-run") == 0
    assert "dry run: total 300, valid 300, failed 0" in capsys.readouterr().out
    assert await upsert(str(EXAMPLES / "contacts-with-errors.csv"), "--dry-run") == 1
    out = capsys.readouterr().out
    # the rows only the API can refuse (unknown list option, date format) pass a dry run
    assert "dry run: total 40, valid 34, failed 6" in out
    assert "line 5 (email:ren.tanaka4+demo@example.com): countryCode:" in out
    assert (
        await upsert(str(EXAMPLES / "contacts-with-errors.csv"), "--dry-run", "--validation", "off")
        == 1
    )
    assert "valid 38, failed 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("firstName,nickname\nAna,A\n", "unknown column 'nickname'"),
        ("firstName,email,email\n", "columns 'email' and 'email' both mean email"),
        ("email\na@example.com\n", "no firstName column"),
        ("", "is empty"),
    ],
)
async def test_file_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = write(tmp_path, "bad.csv", content)
    assert await upsert(path, "--sandbox") == 2
    err = capsys.readouterr().err
    assert err.startswith("aelyst upsert: ") and message in err


async def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = str(EXAMPLES / "contacts.jsonl")
    assert await upsert(str(tmp_path / "missing.csv"), "--sandbox") == 2
    assert "cannot open" in capsys.readouterr().err
    assert await upsert(write(tmp_path, "c.txt", "x"), "--sandbox") == 2
    assert "--format" in capsys.readouterr().err
    assert await upsert(good) == 2
    assert "no API token" in capsys.readouterr().err
    assert await upsert(good, "--token", "t", "--base-url", "http://example.com/v1") == 2
    assert capsys.readouterr().err.startswith(
        "aelyst upsert: --base-url / AELYST_BASE_URL: base_url 'http://example.com/v1' uses "
        "plain http"
    )
    assert await upsert(good, "--token", "t", "--base-url", "ftp://example.com/v1") == 2
    assert "aelyst upsert: --base-url / AELYST_BASE_URL: base_url must" in capsys.readouterr().err
    assert await upsert(good, "--token", "a token") == 2
    assert capsys.readouterr().err.startswith(
        "aelyst upsert: --token / AELYST_API_TOKEN: the API token must"
    )
    assert await upsert(good, "--sandbox", "--base-url", "https://example.com/v1") == 2
    assert "cannot be used together" in capsys.readouterr().err
    assert await upsert("-", "--sandbox") == 2
    assert "needs --format" in capsys.readouterr().err
    assert await upsert(good, "--concurrency", "0") == 2
    assert "must be at least 1" in capsys.readouterr().err
    assert await upsert() == 2
    not_a_journal = write(tmp_path, "j.csv", "firstName\nAna\n")
    assert await upsert(good, "--sandbox", "--journal", not_a_journal) == 2
    assert "not an aelyst bulk journal" in capsys.readouterr().err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("firstName\nJos\xe9\n".encode("latin-1"))
    assert await upsert(str(latin), "--sandbox") == 2
    assert "line 2: b'\\xe9' is not utf-8-sig text; give the file's encoding with --encoding" in (
        capsys.readouterr().err
    )


async def test_a_refused_token_stops_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    async with Sandbox() as sb:
        code = await upsert(
            str(EXAMPLES / "contacts.csv"), "--base-url", sb.base_url, "--token", "wrong"
        )
        assert code == 2
        assert upserts(sb) < 300
    assert "refused the token (401)" in capsys.readouterr().err


async def test_concurrency_option_bounds_requests_in_flight() -> None:
    sandbox = Sandbox()
    gauge = Gauge(sandbox.clock)
    sandbox.app.middlewares.append(gauge.middleware)
    async with sandbox as sb:
        code = await upsert(
            str(EXAMPLES / "contacts.csv"),
            "--base-url",
            sb.base_url,
            "--token",
            sb.token,
            "--concurrency",
            "3",
        )
    assert code == 0
    assert gauge.max_in_flight <= 3
    assert len(sb.store) == 300


async def test_without_concurrency_the_command_follows_the_clients_suggestion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []

    def two(self: AelystClient) -> int:
        asked.append(2)
        return 2

    monkeypatch.setattr(AelystClient, "suggested_concurrency", two)
    sandbox = Sandbox()
    gauge = Gauge(sandbox.clock)
    sandbox.app.middlewares.append(gauge.middleware)
    async with sandbox as sb:
        code = await upsert(
            str(EXAMPLES / "contacts.csv"), "--base-url", sb.base_url, "--token", sb.token
        )
    assert code == 0
    assert asked  # read through the client's public method, not its internals
    assert gauge.max_in_flight <= 2
    assert len(sb.store) == 300


async def test_aelyst_upsert_runs_through_the_aelyst_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await asyncio.to_thread(main, ["upsert", str(EXAMPLES / "contacts.jsonl"), "--sandbox"])
    assert code == 0
    assert "succeeded 12, failed 0" in capsys.readouterr().out


async def test_the_command_declares_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        await asyncio.to_thread(main, ["upsert", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--concurrency", "--journal", "--sandbox", "--validation", "--dry-run", "--report",
        "--progress", "--encoding", "--delimiter", "--map", "--default-country", "--timeout",
        "--settle-delay", "--format", "--token", "--base-url",
    ):  # fmt: skip
        assert option in out


def progress(elapsed: float) -> BulkProgress:
    return BulkProgress(
        done=0, succeeded=0, failed=0, skipped=0, total=10, rate=2.0, eta=4.0, elapsed=elapsed
    )


async def test_plain_progress_lines_are_spaced(capsys: pytest.CaptureFixture[str]) -> None:
    display = Display("plain", 10)
    for done, elapsed in [(1, 0.5), (2, 5.5), (3, 6.0), (4, 11.0)]:
        display.succeeded = done
        display.progress(progress(elapsed))
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "upsert: 2/10 rows, 0 failed, 2.0 rows/s sent, ETA 4.0s",
        "upsert: 4/10 rows, 0 failed, 2.0 rows/s sent, ETA 4.0s",
    ]


async def test_the_progress_bar_and_failure_lines(capsys: pytest.CaptureFixture[str]) -> None:
    display = Display("bar", 10)
    display.succeeded = 3
    display.progress(progress(1.0))
    display.failure(
        Failure(5, "email:a@example.com", "500 Unexpected error occurred (after 6 attempts)", ())
    )
    display.summary(2.0, {"429 responses": 1})
    captured = capsys.readouterr()
    assert (
        "line 5 (email:a@example.com): 500 Unexpected error occurred (after 6 attempts)"
        in captured.out
    )
    assert "total 4, succeeded 3, failed 1, 429 responses 1, elapsed 2.0s" in captured.out
    assert "3/10" in captured.err  # the bar


async def test_error_descriptions_name_the_fields() -> None:
    invalid = ContactValidationError(
        [
            ValidationProblem("email", "not an email"),
            ValidationProblem("custom_fields[1].value", "bad"),
        ]
    )
    assert describe_error(invalid) == "email: not an email; custom_fields[1].value: bad"
