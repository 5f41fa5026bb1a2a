"""``aelyst upsert``'s reports re-import, its messages name columns as the file does, and the
README's commands work as written — through the real entry point, against the sandbox."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from aelyst_async.sandbox import Sandbox
from tests.cli_helpers import aelyst, proxied, upserts

README = Path(__file__).resolve().parent.parent / "README.md"
TAG_PATH = re.compile(r"/contact/[^/]+/tag$")


def api(sb: Sandbox) -> tuple[str, ...]:
    return ("--base-url", sb.base_url, "--token", sb.token, "--progress", "off")


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AELYST_API_TOKEN", "AELYST_BASE_URL", "AELYST_LOG"):
        monkeypatch.delenv(name, raising=False)


def failures(out: str) -> list[str]:
    """The failed rows printed as they happened (``line N (...): ...``), in file order."""
    lines = [line for line in out.splitlines() if line.startswith("line ")]
    return sorted(lines, key=lambda line: int(line.split()[1]))


# -- a JSONL report of a CSV file ---------------------------------------------------------------

MESSY = (
    "FIRSTNAME,last-name,E-Mail,Phone,Country Code,cf:plan,cf:Seats,Tags,Life Cycle,identifier\n"
    'Ana,Silva,ana@example.com,,PT,pro,3,"vip, 2026",Customer,\n'
    "Bo,Li,bo@example.com,,Portugal,Free,,new,,\n"
    "Cy,,cy@example.com,012-345 6789,,Platinum,,,,\n"
    "Di,,,+351912345678,,,twelve,,,phone:+351912345678\n"
    'Ed,,ed@example.com,,,,," a , b ",Astronaut,\n'
)


async def test_a_jsonl_report_of_a_csv_reimports_with_the_same_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    report, again = tmp_path / "f.jsonl", tmp_path / "g.jsonl"
    async with Sandbox() as sb:
        first = ("upsert", str(path), *api(sb), "--default-country", "MY")
        assert await aelyst(*first, "--report", str(report)) == 1
        csv_failures = failures(capsys.readouterr().out)
        # nothing fixed: the report is read as JSONL, each row failing as before
        assert await aelyst("upsert", str(report), *api(sb), "--report", str(again)) == 1
        jsonl_failures = failures(capsys.readouterr().out)
        ed = sb.store.find_by_email("ed@example.com")
    assert ed is not None
    stage = (
        f"(after the upsert of contact id {ed['id']} succeeded; a rerun with --journal sends the "
        "row again, safely): 400 Validation error."
    )
    plan = "'Platinum' is not one of the options of Plan: Free, Starter, Pro, Enterprise"
    seats = "not a number: 'twelve' (the field Seats is a number)"
    country = "not an ISO 3166-1 alpha-2 code: 'Portugal' (two upper-case letters, e.g. 'MY')"
    assert csv_failures == [
        f"line 3 (email:bo@example.com): Country Code: {country}",
        f"line 4 (email:cy@example.com): cf:plan: {plan}",
        f"line 5 (phone:+351912345678): cf:Seats: {seats}",
        f"line 6 (email:ed@example.com): Life Cycle {stage}",
    ]
    assert jsonl_failures == [
        f"line 1 (email:bo@example.com): countryCode: {country}",
        f"line 2 (email:cy@example.com): custom_fields[0] (plan): {plan}",
        f"line 3 (phone:+351912345678): custom_fields[0] (Seats): {seats}",
        f"line 4 (email:ed@example.com): lifecycle {stage}",
    ]
    bodies = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert bodies[1] == {  # wire names, phone as read, cf: as custom_fields, no empty cell
        "firstName": "Cy",
        "email": "cy@example.com",
        "phone": "+60123456789",
        "custom_fields": [{"name": "plan", "value": "Platinum"}],
        "error": f"line 4: cf:plan: {plan}",
    }
    assert bodies[2]["identifier"] == "phone:+351912345678"
    assert bodies[3]["tags"] == ["a", "b"] and bodies[3]["lifecycle"] == "Astronaut"
    # a report of the report is the same rows again, with the new errors
    rewritten = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    assert [{k: v for k, v in b.items() if k != "error"} for b in rewritten] == [
        {k: v for k, v in b.items() if k != "error"} for b in bodies
    ]


async def test_what_a_jsonl_body_cannot_hold_keeps_the_row_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "firstName,email,\nAna,ana@example.com,stray\nBo,bo@example.com\nCy,cy@example.com,,x\n",
        encoding="utf-8",
    )
    report = tmp_path / "f.jsonl"
    async with Sandbox() as sb:
        assert await aelyst("upsert", str(path), *api(sb), "--report", str(report)) == 1
        assert upserts(sb) == 1
        bodies = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
        assert bodies[0] == {
            "firstName": "Ana",
            "email": "ana@example.com",
            "column 3": "stray",
            "error": bodies[0]["error"],
        }
        assert bodies[1] == {
            "firstName": "Cy",
            "email": "cy@example.com",
            "extra cells": ["x"],
            "error": "line 4: row: has 4 cells but the header has 3 columns",
        }
        capsys.readouterr()
        assert await aelyst("upsert", str(report), *api(sb)) == 1
        assert upserts(sb) == 1  # neither row is sent until it is fixed
    out = capsys.readouterr().out
    assert "line 1 (email:ana@example.com): column 3: unknown field" in out
    assert "line 2 (email:cy@example.com): extra cells: unknown field" in out


# -- columns without a name ---------------------------------------------------------------------


async def test_a_column_without_a_name_is_ignored_while_its_cells_are_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(
        "email,firstName,\r\n"  # a trailing comma: a third column without a name
        "ana@example.com,Ana,\r\n"
        "bo@example.com,Bo\r\n"
        "cy@example.com,Cy,,\r\n"  # and an empty cell past the header
        "di@example.com,Di,oops\r\n",
        encoding="utf-8",
    )
    report = tmp_path / "failed.csv"
    async with Sandbox() as sb:
        assert await aelyst("upsert", str(path), *api(sb), "--report", str(report)) == 1
        stored = sorted(c["firstName"] for c in sb.store.contacts())
    assert stored == ["Ana", "Bo", "Cy"]
    out = capsys.readouterr().out
    assert (
        "line 5 (email:di@example.com): column 3: has a value but no name in the header: name "
        "the column (or empty its cells)" in out
    )
    assert "total 4, succeeded 3, failed 1" in out
    assert report.read_text(encoding="utf-8").splitlines()[:2] == [
        "email,firstName,,error",
        "di@example.com,Di,oops,line 5: column 3: has a value but no name in the header: name "
        "the column (or empty its cells)",
    ]


async def test_a_csv_report_keeps_the_cells_of_a_row_wider_than_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("firstName,email\nAna,ana@example.com,Jr\n", encoding="utf-8")
    report = tmp_path / "failed.csv"
    assert await aelyst("upsert", str(path), "--sandbox", "--report", str(report)) == 1
    assert report.read_text(encoding="utf-8").splitlines() == [
        "firstName,email,error",
        "Ana,ana@example.com,line 2: row: has 3 cells but the header has 2 columns,Jr",
    ]


# -- steps after the upsert ---------------------------------------------------------------------


def refusing_tags(request: web.Request) -> tuple[int, dict[str, Any]] | None:
    if request.method == "POST" and TAG_PATH.search(request.path):
        return 400, {"code": 400, "message": "Validation error."}
    return None


async def test_a_failed_step_is_named_by_its_column_as_the_file_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "First Name,E-mail,Etiquetas,Life-Cycle\n"
        "Ana,ana@example.com,vip,\n"
        "Bo,bo@example.com,,Astronaut\n",
        encoding="utf-8",
    )
    async with proxied(refusing_tags) as (sb, base_url):
        argv = ("upsert", str(path), "--base-url", base_url, "--token", sb.token)
        assert await aelyst(*argv, "--map", "Etiquetas=tags") == 1
        ana = sb.store.find_by_email("ana@example.com")
        bo = sb.store.find_by_email("bo@example.com")
    assert ana is not None and bo is not None
    out = failures(capsys.readouterr().out)
    after = "succeeded; a rerun with --journal sends the row again, safely): 400 Validation error."
    assert out == [
        f"line 2 (email:ana@example.com): Etiquetas (after the upsert of contact id {ana['id']} "
        + after,
        f"line 3 (email:bo@example.com): Life-Cycle (after the upsert of contact id {bo['id']} "
        + after,
    ]


# -- the README's commands, as written ----------------------------------------------------------


def readme_messy_example() -> tuple[str, list[list[str]], list[str]]:
    """The README's messy export: the file, its ``aelyst`` commands, and their printed lines."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("A messy export") :]
    content = section.split("```text\n", 1)[1].split("```", 1)[0]
    shell = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands: list[list[str]] = []
    printed: list[str] = []
    pending = ""
    for line in shell.splitlines():
        if pending or line.startswith("$ "):
            joined = pending + line.removeprefix("$ ")
            if joined.endswith("\\"):
                pending = joined[:-1]
                continue
            pending = ""
            words = shlex.split(joined, comments=True)
            if words[0] == "aelyst":
                commands.append(words[1:])
        else:
            printed.append(line)
    return content, commands, printed


async def test_the_readme_messy_export_works_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    content, commands, printed = readme_messy_example()
    assert len(commands) == 2  # the import, then the re-import of the fixed report
    (tmp_path / "crm.csv").write_bytes(content.encode("cp1252"))
    monkeypatch.chdir(tmp_path)
    async with Sandbox() as sb:
        monkeypatch.setenv("AELYST_API_TOKEN", sb.token)
        monkeypatch.setenv("AELYST_BASE_URL", sb.base_url)
        assert await aelyst(*commands[0]) == 1
        out = capsys.readouterr().out
        shown = printed[0].split(" ...")[0]
        assert shown in out
        report = tmp_path / "failed.csv"
        fixed = report.read_text(encoding="utf-8").replace("ana@example;", "ana@example.com;")
        report.write_text(fixed.replace("Portugal", "PT"), encoding="utf-8")
        assert await aelyst(*commands[1]) == 0
        ana = sb.store.find_by_email("ana@example.com")
    assert "total 1, succeeded 1, failed 0" in capsys.readouterr().out
    assert ana is not None
    assert (ana["lastName"], ana["phone"], ana["countryCode"]) == ("Li", "+351912345678", "PT")


async def test_a_report_read_without_its_map_says_to_give_it_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "failed.csv"
    report.write_text("Nome,email,error\nAna,ana@example.com,line 2: x\n", encoding="utf-8")
    assert await aelyst("upsert", str(report), "--sandbox") == 2
    assert "a --report file keeps the columns: give the --map options again" in (
        capsys.readouterr().err
    )
