"""``aelyst upsert`` with the files people actually have (issue 14), through ``aelyst``'s main.

Each test is one input seen in the field, run through the real entry point.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aelyst_async import __version__
from aelyst_async._bulk import Journal
from aelyst_async._cli import main
from aelyst_async.sandbox import Sandbox
from tests.cli_helpers import upserts

ROOT = Path(__file__).resolve().parent.parent


async def aelyst(*argv: str) -> int:
    """``aelyst ARGV...`` in a worker thread (it runs its own event loop)."""
    try:
        return await asyncio.to_thread(main, list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return str(path)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AELYST_API_TOKEN", "AELYST_BASE_URL", "AELYST_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
async def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["firstName", "lastName", "email", "phone", "countryCode"],
        ["Ana", "Silva, Jr", "ana@example.com", "+351912345678", "PT"],
        ["Bo", "Li", "bo@example.com", "", "CN"],
    ]
    lines = [delimiter.join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    path = write(tmp_path, "export.csv", "\r\n".join(lines) + "\r\n")
    async with Sandbox() as sb:
        code = await aelyst("upsert", path, "--base-url", sb.base_url, "--token", sb.token)
        ana = sb.store.find_by_email("ana@example.com")
    assert code == 0
    assert ana is not None and ana["lastName"] == "Silva, Jr" and ana["countryCode"] == "PT"


async def test_delimiter_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "x.csv", "firstName;email\nAna;ana@example.com\n")
    assert await aelyst("upsert", path, "--dry-run", "--delimiter", ";") == 0
    assert "valid 1, failed 0" in capsys.readouterr().out
    assert await aelyst("upsert", path, "--dry-run", "--delimiter", "tab") == 2
    assert "unknown column 'firstName;email'" in capsys.readouterr().err


async def test_an_encoding_other_than_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "cp.csv",
        "firstName,email\nJosé,jose@example.com\nRenée,r@example.com\n",
        "cp1252",
    )
    assert await aelyst("upsert", path, "--sandbox") == 2
    err = capsys.readouterr().err
    assert "line 2: b'\\xe9' is not utf-8-sig text" in err and "--encoding" in err
    async with Sandbox() as sb:
        args = ("--base-url", sb.base_url, "--token", sb.token, "--encoding", "cp1252")
        assert await aelyst("upsert", path, *args) == 0
        jose = sb.store.find_by_email("jose@example.com")
    assert jose is not None and jose["firstName"] == "José"
    bom = write(tmp_path, "bom.csv", "\ufefffirstName,email\nZoë,z@example.com\n", "utf-16")
    assert await aelyst("upsert", bom, "--dry-run") == 0


async def test_loose_headers_and_errors_in_the_files_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "crm.csv",
        "First Name,Last Name,E-mail,Phone,Country Code,LANGUAGE,Nome\n"
        "Ana,Silva,ana@example.com,+351912345678,PT,pt,x\n"
        "Bo,Li,bo@example.com,,Portugal,zh,y\n",
    )
    assert await aelyst("upsert", path, "--dry-run") == 2
    err = capsys.readouterr().err
    assert "unknown column 'Nome'" in err and "--map 'Nome=firstName'" in err
    assert await aelyst("upsert", path, "--dry-run", "--map", "Nome=cf:Nickname") == 1
    out = capsys.readouterr().out
    assert "line 3 (email:bo@example.com): Country Code: not an ISO 3166-1" in out
    assert "country_code" not in out
    assert await aelyst("upsert", path, "--dry-run", "--map", "Nome=nickname") == 2
    assert "--map 'Nome=nickname': unknown field 'nickname'" in capsys.readouterr().err


async def test_values_are_trimmed_and_phones_become_e164(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "messy.csv",
        "firstName,email,phone,countryCode\n"
        " Ana , ana@example.com ,+60 12-345 6789,\n"
        "Bo,,012-345 6780,MY\n"
        "Cy,,(012) 345 6790,\n",
    )
    async with Sandbox() as sb:
        args = ("--base-url", sb.base_url, "--token", sb.token)
        assert await aelyst("upsert", path, *args) == 1  # Cy: a national number, no country
        assert await aelyst("upsert", path, *args, "--default-country", "MY") == 0
        ana = sb.store.find_by_email("ana@example.com")
        bo = sb.store.find_by_phone("+60123456780")
        cy = sb.store.find_by_phone("+60123456790")
    assert ana is not None and ana["firstName"] == "Ana" and ana["phone"] == "+60123456789"
    assert bo is not None and bo["firstName"] == "Bo"
    assert cy is not None


async def test_a_csv_report_can_be_fixed_and_reimported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "eu.csv",
        "firstName;email;countryCode;cf:Notes\n"
        'Ana;ana@example.com;PT;"a; b"\n'
        "Bo;bo@example.com;Portugal;x\n"
        "Cy;cy@example.com;ES;\n",
    )
    report = tmp_path / "failed.csv"
    async with Sandbox() as sb:
        args = ("--base-url", sb.base_url, "--token", sb.token)
        assert await aelyst("upsert", path, *args, "--report", str(report)) == 1
        content = report.read_text(encoding="utf-8")
        assert content.splitlines()[0] == "firstName;email;countryCode;cf:Notes;error"
        assert content.splitlines()[1].startswith(
            "Bo;bo@example.com;Portugal;x;line 3: countryCode:"
        )
        report.write_text(content.replace("Portugal", "PT"), encoding="utf-8")
        capsys.readouterr()
        assert await aelyst("upsert", str(report), *args) == 0
        bo = sb.store.find_by_email("bo@example.com")
    assert bo is not None and bo["countryCode"] == "PT"
    assert "total 1, succeeded 1, failed 0" in capsys.readouterr().out


async def test_the_journal_matches_rows_by_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"P{i},p{i}@example.com,{'PT' if i != 3 else 'Portugal'}" for i in range(30)]
    path = write(tmp_path, "c.csv", "firstName,email,countryCode\n" + "\n".join(rows) + "\n")
    journal = str(tmp_path / "import.journal")
    async with Sandbox() as sb:
        args = ("--base-url", sb.base_url, "--token", sb.token, "--journal", journal)
        assert await aelyst("upsert", path, *args) == 1
        assert upserts(sb) == 29
        del rows[3]  # the bad row deleted, the rest reordered
        path = write(
            tmp_path, "c.csv", "firstName,email,countryCode\n" + "\n".join(rows[::-1]) + "\n"
        )
        assert await aelyst("upsert", path, *args) == 0
        assert upserts(sb) == 29, "no row that succeeded is sent again"
        rows[0] = "Changed,p0@example.com,PT"
        path = write(tmp_path, "c.csv", "firstName,email,countryCode\n" + "\n".join(rows) + "\n")
        assert await aelyst("upsert", path, *args) == 0
        assert upserts(sb) == 30, "a changed row is sent"
    assert "skipped 28 (done in an earlier run)" in capsys.readouterr().out


async def test_a_journal_in_use_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "c.csv", "firstName,email\nAna,a@example.com\n")
    journal = tmp_path / "j"
    with Journal.open(journal):
        assert await aelyst("upsert", path, "--sandbox", "--journal", str(journal)) == 2
    assert "is in use by another run" in capsys.readouterr().err


async def test_an_unreachable_api_stops_the_run_early(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(300))
    path = write(tmp_path, "c.csv", "firstName,email\n" + rows)
    argv = ("upsert", path, "--token", "t", "--base-url", "http://127.0.0.1:1/v1", "--timeout", "2")
    assert await aelyst(*argv) == 2
    captured = capsys.readouterr()
    assert "stopped: cannot reach the API at http://127.0.0.1:1/v1" in captured.err
    assert "check --base-url" in captured.err
    assert captured.out.count("\nline ") < 20  # not one error per row


async def test_a_404_on_the_endpoint_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(300))
    path = write(tmp_path, "c.csv", "firstName,email\n" + rows)
    async with Sandbox() as sb:
        without_v1 = sb.base_url.removesuffix("/v1")
        assert await aelyst("upsert", path, "--base-url", without_v1, "--token", sb.token) == 2
        assert upserts(sb) <= 32
    assert "the API answered 404 for the contact endpoint" in capsys.readouterr().err


async def test_stdin_with_a_bad_byte_after_good_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "".join(f"P{i},p{i}@example.com\n" for i in range(500))
    data = ("firstName,email\n" + good).encode() + b"Jos\xe9,j@example.com\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    journal = tmp_path / "j"
    async with Sandbox() as sb:
        argv = ("-", "--format", "csv", "--base-url", sb.base_url, "--token", sb.token)
        assert await aelyst("upsert", *argv, "--journal", str(journal)) == 2
        assert len(sb.store) == 500
    captured = capsys.readouterr()
    assert "total 500, succeeded 500, failed 0" in captured.out
    assert "'-' line 502: b'\\xe9' is not utf-8-sig text" in captured.err
    with Journal.open(journal) as state:
        assert len(state) == 500


async def test_a_deeply_nested_jsonl_line_is_that_rows_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = '{"firstName": "A", "email": "a@example.com"}\n' + "[" * 200_000 + "\n"
    assert await aelyst("upsert", write(tmp_path, "d.jsonl", content), "--dry-run") == 1
    assert "line 2 (no identifier): body: nested too deeply" in capsys.readouterr().out


async def test_version_log_and_cli_wording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await aelyst("--version") == 0
    assert capsys.readouterr().out.strip() == f"aelyst {__version__}"
    path = write(tmp_path, "c.csv", "firstName,email\nAna,a@example.com\n")
    assert await aelyst("upsert", path) == 2
    err = capsys.readouterr().err
    assert "no API token: set AELYST_API_TOKEN or pass --token" in err
    assert "AelystClient" not in err
    monkeypatch.setenv("AELYST_LOG", "debug")
    assert await aelyst("upsert", path, "--sandbox") == 0
    assert "INFO aelyst_async.cli: reading" in capsys.readouterr().err
    monkeypatch.setenv("AELYST_LOG", "loud")
    assert await aelyst("upsert", path, "--sandbox") == 2
    assert "AELYST_LOG must be one of debug, info, warning" in capsys.readouterr().err


async def test_sandbox_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert await aelyst("sandbox", "--port", "99999") == 2
    err = capsys.readouterr().err
    assert "a port is 0-65535, not 99999" in err and "Traceback" not in err


async def test_an_unexpected_error_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aelyst_async._cli import upsert

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(upsert, "RowReader", broken)
    path = write(tmp_path, "c.csv", "firstName\nAna\n")
    assert await aelyst("upsert", path, "--dry-run") == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "aelyst upsert: unexpected error: RuntimeError: boom (AELYST_LOG=debug shows where)"
    )
    monkeypatch.setenv("AELYST_LOG", "debug")  # shows where: the traceback, to the raise
    assert await aelyst("upsert", path, "--dry-run") == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and 'raise RuntimeError("boom")' in err
    assert err.strip().endswith(
        "aelyst upsert: unexpected error: RuntimeError: boom (AELYST_LOG=debug shows where)"
    )


async def test_an_unexpected_error_inside_the_run_fails_its_row_and_a_rerun_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aelyst_async._throttle.throttle import Throttle

    acquire = Throttle.acquire
    broken = {"POST /contact/create_or_update/email:p3@example.com"}

    async def overflowing(self: Throttle, key: str, **options: Any) -> object:
        if key.replace("%3A", ":").replace("%40", "@") in broken:
            raise OverflowError("cannot convert float infinity to integer")
        return await acquire(self, key, **options)

    monkeypatch.setattr(Throttle, "acquire", overflowing)
    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(6))
    path = write(tmp_path, "c.csv", "firstName,email\n" + rows)
    journal = str(tmp_path / "j")
    async with Sandbox() as sb:
        argv = ["upsert", path, "--base-url", sb.base_url, "--token", sb.token]
        assert await aelyst(*argv, "--journal", journal, "--progress", "off") == 1
        out = capsys.readouterr().out
        assert "(email:p3@example.com): unexpected error: OverflowError: cannot convert" in out
        assert "total 6, succeeded 5, failed 1" in out
        assert len(sb.store.contacts()) == 5
        broken.clear()
        assert await aelyst(*argv, "--journal", journal, "--progress", "off") == 0
        assert "succeeded 1, failed 0, skipped 5" in capsys.readouterr().out
        assert len(sb.store.contacts()) == 6


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_is_a_clean_exit_2(tmp_path: Path) -> None:
    import resource
    import signal

    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(300))
    path = write(tmp_path, "c.csv", "firstName,email\n" + rows)

    def small_files() -> None:  # writes past 4 KB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    argv = [sys.executable, "-m", "aelyst_async", "upsert", path, "--sandbox", "--progress", "off"]
    result = subprocess.run(
        [*argv, "--journal", str(tmp_path / "j")],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write the journal" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


async def test_a_version_2_journal_of_the_command_is_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = Path(__file__).parent / "data"
    journal = tmp_path / "j"
    shutil.copy(data / "journal-v2-rows.jsonl", journal)
    csv_path = str(data / "journal-v2-rows.csv")  # rows with tags and a lifecycle
    async with Sandbox() as sb:
        argv = ["upsert", csv_path, "--base-url", sb.base_url, "--token", sb.token]
        assert await aelyst(*argv, "--journal", str(journal), "--progress", "off") == 1
        assert upserts(sb) == 0
    assert "succeeded 0, failed 1, skipped 3" in capsys.readouterr().out


async def test_a_row_reports_all_its_problems_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "c.csv", "firstName,email,countryCode,cf:Seats\nAna,a@example.com,XX,many\n"
    )
    assert await aelyst("upsert", path, "--sandbox", "--progress", "off") == 1
    out = capsys.readouterr().out
    line = next(text for text in out.splitlines() if text.startswith("line 2"))
    assert "cf:Seats: not a number" in line and "countryCode: not an ISO 3166-1" in line


@pytest.mark.parametrize(
    ("flag", "cells", "seats", "refused"),
    [
        # a ';' file: a decimal comma or a thousands group is refused, other decimals read
        ((), ["1.5", "1.234", "1,5", "7"], {1: 1.5, 4: 7}, {2: "ambiguous number", 3: "ambiguous"}),
        # --decimal-comma: ',' decimal, '.' thousands
        (
            ("--decimal-comma",),
            ["1.234", "1,5", "1.234,5", "1.5"],
            {1: 1234, 2: 1.5, 3: 1234.5},
            {4: "--decimal-comma"},
        ),
    ],
)
async def test_numbers_of_a_semicolon_file_follow_the_stated_convention(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flag: tuple[str, ...],
    cells: list[str],
    seats: dict[int, float],
    refused: dict[int, str],
) -> None:
    rows = "".join(f"P{i};p{i}@example.com;{cell};{cell}\n" for i, cell in enumerate(cells, 1))
    path = write(tmp_path, "c.csv", "firstName;email;cf:Seats;cf:Notes\n" + rows)
    async with Sandbox() as sb:
        argv = ["upsert", path, "--base-url", sb.base_url, "--token", sb.token, *flag]
        assert await aelyst(*argv, "--progress", "off") == 1
        stored = {int(c["firstName"][1:]): c["custom_fields"] for c in sb.store.contacts()}
    assert {i: fields["Seats"] for i, fields in stored.items()} == seats
    assert all(fields["Notes"] == cells[i - 1] for i, fields in stored.items())  # text: as written
    out = capsys.readouterr().out
    for i, problem in refused.items():
        line = next(text for text in out.splitlines() if text.startswith(f"line {i + 1} "))
        assert "cf:Seats" in line and problem in line
