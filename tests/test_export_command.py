"""``aelyst export``: contacts out to a file that ``aelyst upsert`` reads back unchanged, exit
codes, no half files — through the real entry point, against the sandbox."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from aelyst_async._cli import interrupt, main
from aelyst_async._cli.writers import CsvWriter
from aelyst_async.sandbox import Sandbox
from aelyst_async.testing import running_sandbox
from tests.cli_helpers import aelyst, calls, forbidding_fields, proxied

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LIST = "POST /contact/list"
STAGES = ["New Lead", "Hot Lead", "Payment", "Customer", ""]


def api(sb: Sandbox) -> tuple[str, ...]:
    return ("--base-url", sb.base_url, "--token", sb.token, "--progress", "off")


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AELYST_API_TOKEN", raising=False)
    monkeypatch.delenv("AELYST_BASE_URL", raising=False)


def seed_file(tmp_path: Path) -> str:
    """The example contacts plus tags and lifecycle columns (and a text field holding a
    number, a contact with a phone only)."""
    with open(EXAMPLES / "contacts.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    notes = header.index("cf:Notes")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, "tags", "lifecycle"])
    for i, row in enumerate(rows[1:]):
        if i % 7 == 0:
            row[notes] = "2024"
        tags = ", ".join(f"t{j}" for j in range(i % 4))
        writer.writerow([*row, tags, STAGES[i % len(STAGES)]])
    path = tmp_path / "seed.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def snapshot(sb: Sandbox) -> list[dict[str, Any]]:
    """Every stored contact's data (not its id or timestamps), in a stable order."""
    keep = (
        "firstName", "lastName", "phone", "email", "language", "profilePic", "countryCode",
        "custom_fields", "tags", "lifecycle",
    )  # fmt: skip
    contacts = [{k: c[k] for k in keep} for c in sb.store.contacts()]
    return sorted(contacts, key=lambda c: (c["email"] or "", c["phone"] or ""))


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
async def test_an_export_imports_into_a_fresh_workspace_unchanged(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = str(tmp_path / f"export.{suffix}")
    async with Sandbox() as source, Sandbox() as fresh:
        assert await aelyst("upsert", seed_file(tmp_path), *api(source)) == 0
        assert len(source.store) == 300
        assert await aelyst("export", exported, *api(source)) == 0
        assert calls(source, LIST) == 3  # 300 contacts, 100 a page
        assert await aelyst("upsert", exported, *api(fresh)) == 0
        before, after = snapshot(source), snapshot(fresh)
    assert after == before
    texts = [c for c in after if c["custom_fields"].get("Notes") == "2024"]
    assert len(texts) == 43  # a text field holding 2024 went out and came back as text
    assert sum(1 for c in after if c["tags"] == ["t0", "t1", "t2"]) == 75
    assert sum(1 for c in after if c["lifecycle"] == "Payment") == 60
    assert sum(1 for c in after if not c["email"]) > 0  # keyed by phone
    err = capsys.readouterr().err
    assert f"export to {exported!r}: 300 contacts written, 3 pages" in err


async def test_the_csv_columns(tmp_path: Path) -> None:
    exported = tmp_path / "e.csv"
    line = 'firstName,email,phone,cf:Seats,tags,lifecycle\nAna,,+351912345678,3,"b, a",Payment\n'
    (tmp_path / "c.csv").write_text(line, encoding="utf-8")
    async with Sandbox() as sb:
        assert await aelyst("upsert", str(tmp_path / "c.csv"), *api(sb)) == 0
        assert await aelyst("export", str(exported), *api(sb)) == 0
    rows = read_csv(exported)
    assert list(rows[0])[:8] == [
        "identifier", "firstName", "lastName", "phone", "email", "language", "profilePic",
        "countryCode",
    ]  # fmt: skip
    assert "cf:Company Website" in rows[0] and list(rows[0])[-2:] == ["tags", "lifecycle"]
    assert rows == [
        {
            **{key: "" for key in rows[0]},
            "identifier": "phone:+351912345678",
            "firstName": "Ana",
            "phone": "+351912345678",
            "cf:Seats": "3",
            "tags": "b, a",
            "lifecycle": "Payment",
        }
    ]


async def test_search_and_tags_filter_the_export(tmp_path: Path) -> None:
    rows = "".join(
        f"P{i},p{i}@example.com,{'vip' if i % 3 == 0 else 'new' if i % 3 == 1 else ''}\n"
        for i in range(12)
    )
    (tmp_path / "c.csv").write_text("firstName,email,tags\n" + rows, encoding="utf-8")
    out = tmp_path / "e.jsonl"
    async with Sandbox() as sb:
        assert await aelyst("upsert", str(tmp_path / "c.csv"), *api(sb)) == 0
        assert await aelyst("export", str(out), *api(sb), "--tag", "vip", "--page-size", "2") == 0
        vip = [json.loads(line)["email"] for line in out.read_text().splitlines()]
        argv = ("export", str(out), *api(sb), "--tag", "vip", "--tag", "new", "--search", "p1")
        assert await aelyst(*argv) == 0
        found = [json.loads(line)["email"] for line in out.read_text().splitlines()]
    assert sorted(vip) == [f"p{i}@example.com" for i in (0, 3, 6, 9)]
    assert sorted(found) == ["p10@example.com", "p1@example.com"]  # p1, p10 (new); p11 untagged


async def test_exit_codes_and_no_half_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "e.jsonl"
    target.write_text("the previous export\n", encoding="utf-8")
    async with Sandbox() as sb:
        (tmp_path / "c.csv").write_text("firstName,email\nAna,a@example.com\n", encoding="utf-8")
        assert await aelyst("upsert", str(tmp_path / "c.csv"), *api(sb)) == 0
        argv = ("export", str(target), "--base-url", sb.base_url, "--progress", "off")
        assert await aelyst(*argv, "--token", "wrong") == 2
    assert "stopped: the API refused the token (401)" in capsys.readouterr().err
    assert target.read_text() == "the previous export\n"  # untouched
    assert sorted(os.listdir(tmp_path)) == ["c.csv", "e.jsonl"]  # no temp file left
    unreachable = ("--token", "t", "--base-url", "http://127.0.0.1:1/v1", "--timeout", "1")
    assert await aelyst("export", str(tmp_path / "x.csv"), *unreachable) == 2
    assert "cannot reach the API at http://127.0.0.1:1/v1" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
    assert await aelyst("export", "-", "--sandbox") == 2
    assert "writing to stdout needs --format" in capsys.readouterr().err
    assert await aelyst("export", str(tmp_path / "x.txt"), "--sandbox") == 2
    assert await aelyst("export", str(tmp_path / "x.csv"), "--page-size", "101") == 2
    assert await aelyst("export", str(tmp_path / "x.csv")) == 2
    assert "no API token" in capsys.readouterr().err


async def test_an_empty_sandbox_exports_a_header_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await aelyst("export", "-", "--format", "csv", "--sandbox", "--progress", "bar") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("identifier,firstName,lastName,phone,email,")
    assert captured.out.count("\n") == 1
    assert "0 contacts written" in captured.err
    assert "contact" in captured.err.split("export to stdout")[0]  # the bar drew


async def test_a_tag_with_a_comma_cannot_go_into_a_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"firstName": "Ana", "email": "a@example.com", "tags": ["a,b"]},
        {"firstName": "Bo", "email": "b@example.com", "tags": ["c"]},
    ]
    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    async with Sandbox() as sb:
        assert await aelyst("upsert", str(source), *api(sb)) == 0
        assert await aelyst("export", str(tmp_path / "e.csv"), *api(sb)) == 1
        err = capsys.readouterr().err
        assert "email:a@example.com: not written: the tag 'a,b' holds a comma" in err
        assert "1 contact written, 1 not written" in err
        rows = read_csv(tmp_path / "e.csv")
        assert [r["email"] for r in rows] == ["b@example.com"]
        assert await aelyst("export", str(tmp_path / "e.jsonl"), *api(sb)) == 0
    tags = [json.loads(line)["tags"] for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert tags == [["a,b"], ["c"]]


async def test_without_the_field_list_a_first_pass_finds_the_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with forbidding_fields() as (sb, base_url):
        source = tmp_path / "c.csv"
        source.write_text("firstName,email,cf:Plan\nAna,a@example.com,Pro\n", encoding="utf-8")
        assert await aelyst("upsert", str(source), *api(sb)) == 0
        argv = ("--base-url", base_url, "--token", sb.token, "--progress", "off")
        assert await aelyst("export", str(tmp_path / "e.csv"), *argv) == 0
        assert calls(sb, LIST) == 2  # the first pass, then the export
    header = (tmp_path / "e.csv").read_text().splitlines()[0]
    assert header.endswith(",countryCode,cf:Plan,tags,lifecycle")
    assert "reading the contacts twice" in capsys.readouterr().err


async def test_formula_like_cells_are_written_unchanged_with_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    risky = {
        "firstName": "=cmd|' /C calc'!A0",
        "lastName": "@SUM(A1)",
        "email": "ana@example.com",
        "phone": "+351912345678",  # a number, not a formula
        "custom_fields": [{"name": "Notes", "value": "-2+3"}, {"name": "Seats", "value": -5}],
        "tags": ["+vip"],
    }
    plain = {"firstName": "Bo", "email": "bo@example.com", "phone": "+351912345679"}
    source = tmp_path / "c.jsonl"
    source.write_text(json.dumps(risky) + "\n" + json.dumps(plain) + "\n", encoding="utf-8")
    exported = tmp_path / "e.csv"
    async with Sandbox() as sb, Sandbox() as fresh:
        assert await aelyst("upsert", str(source), *api(sb)) == 0
        capsys.readouterr()
        assert await aelyst("export", str(exported), *api(sb)) == 0
        warned = capsys.readouterr().err
        assert await aelyst("upsert", str(exported), *api(fresh)) == 0
        assert snapshot(fresh) == snapshot(sb)  # the round trip changes nothing
        assert await aelyst("export", str(tmp_path / "e.jsonl"), *api(sb)) == 0
        assert await aelyst("export", str(tmp_path / "bo.csv"), *api(sb), "--search", "bo") == 0
        quiet = capsys.readouterr().err
    ana = next(row for row in read_csv(exported) if row["email"] == "ana@example.com")
    assert (ana["firstName"], ana["lastName"], ana["cf:Notes"]) == (
        "=cmd|' /C calc'!A0",
        "@SUM(A1)",
        "-2+3",
    )
    assert (ana["tags"], ana["cf:Seats"], ana["phone"]) == ("+vip", "-5", "+351912345678")
    assert [line for line in warned.splitlines() if "warning" in line] == [
        f"aelyst export: warning: {str(exported)!r} has 4 cells starting with = + - or @ "
        "(written unchanged): a spreadsheet may run them as formulas; import the file as text "
        "rather than opening it"
    ]
    assert "warning" not in quiet  # JSONL, and a CSV without such cells


async def test_a_pagination_fault_keeps_what_was_received(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def repeat_the_cursor(request: Any) -> tuple[int, dict[str, Any]] | None:
        cursor = request.query.get("cursorId")
        if cursor is None:
            return None
        url = f"http://{request.host}{request.path}?limit=1&cursorId={cursor}"
        return 200, {"items": [], "pagination": {"next": url, "previous": None}}

    async with proxied(repeat_the_cursor) as (sb, base_url):
        for i in range(3):
            sb.store.create({"firstName": f"P{i}", "email": f"p{i}@example.com"})
        target = tmp_path / "e.jsonl"
        argv = ("export", str(target), "--base-url", base_url, "--token", sb.token)
        assert await aelyst(*argv, "--page-size", "1", "--progress", "off") == 1
    err = capsys.readouterr().err
    assert "stopped after 2 pages: " in err and "repeated the page cursor" in err
    assert "cannot reach" not in err and "--base-url" not in err
    assert [json.loads(line)["firstName"] for line in target.read_text().splitlines()] == ["P0"]


async def test_a_token_with_a_newline_is_reported_against_the_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await aelyst("export", "x.csv", "--token", "abc\n") == 2
    err = capsys.readouterr().err
    assert "--token / AELYST_API_TOKEN" in err and "--base-url" not in err


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_leaves_no_file(
    tmp_path: Path,
    presses: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C as the first contact is written (the handler, installed in the main thread, runs
    before ``signal.raise_signal`` returns): the first winds the export down, the second stops
    the process at once (here: recorded), both with no file and no temporary file left."""
    target = tmp_path / "e.csv"
    left: list[list[str]] = []
    monkeypatch.setattr(interrupt, "_exit_now", lambda code: left.append(os.listdir(tmp_path)))
    real = CsvWriter.write

    def write(self: CsvWriter, record: Any) -> Any:
        for _ in range(presses):
            signal.raise_signal(signal.SIGINT)
        return real(self, record)

    monkeypatch.setattr(CsvWriter, "write", write)
    with running_sandbox() as sb:
        sb.store.create({"firstName": "Ana", "email": "a@example.com"})
        assert main(["export", str(target), *api(sb)]) == 130
    err = capsys.readouterr().err
    assert "aelyst export: interrupted (no file written)" in err
    if presses == 2:
        assert left == [[]]  # as the process ends
        assert "aelyst export: interrupted again: stopped at once (no file written)\n" in err
    assert os.listdir(tmp_path) == []
