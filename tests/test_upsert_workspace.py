"""``aelyst upsert`` knows the workspace: ``cf:`` columns and values checked against its custom
fields, and ``tags`` / ``lifecycle`` columns applied after each row's upsert — through the real
entry point, against the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aelyst_async.sandbox import Sandbox
from tests.cli_helpers import FIELDS, aelyst, calls, forbidding_fields, upserts

TAG = "POST /contact/{identifier}/tag"
LIFECYCLE = "POST /contact/{identifier}/lifecycle/update"


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def api(sb: Sandbox) -> tuple[str, ...]:
    return ("--base-url", sb.base_url, "--token", sb.token, "--progress", "off")


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AELYST_API_TOKEN", raising=False)
    monkeypatch.delenv("AELYST_BASE_URL", raising=False)


# -- cf: columns --------------------------------------------------------------------------------


async def test_an_unknown_cf_column_is_a_file_error_and_nothing_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "c.csv", "firstName,email,cf:Seat,cf:Nope,cf:Notes\nAna,a@example.com,3,x,y\n"
    )
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 2
        assert sb.stats.requests == 1  # the custom field list, nothing else
        assert calls(sb, FIELDS) == 1 and upserts(sb) == 0
    err = capsys.readouterr().err
    assert "the workspace has no custom fields 'Seat' (did you mean cf:Seats?), 'Nope'" in err
    assert "its custom fields are 'Billing Email', 'Company Website', 'Newsletter'" in err


async def test_two_columns_naming_one_field_loosely_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "c.csv", "firstName,email,cf:Seats,cf:seats\nAna,a@example.com,3,4\n")
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 2
        assert upserts(sb) == 0
    assert "columns 'cf:Seats' and 'cf:seats' both name the custom field 'Seats'" in (
        capsys.readouterr().err
    )


TYPED = (
    "firstName,email,CF: notes,cf:seats,cf:Newsletter,cf:Preferred Call Time,cf:Plan,"
    "cf:Renewal Date,cf:Billing Email,cf:Company Website\n"
    "Ana,ana@example.com,2024,2024,Yes,9:30,pro,2027-02-02,b@example.com,www.example.com/x\n"
    "Bo,bo@example.com,,three,,,,,,\n"
    "Cy,cy@example.com,,,maybe,,,,,\n"
    "Di,di@example.com,,,,25:00,,,,\n"
    "Ed,ed@example.com,,,,,Platinum,,,\n"
    "Fa,fa@example.com,,,,,,31/12/2027,,\n"
    "Gu,gu@example.com,,,,,,,not-an-email,\n"
    "Hu,hu@example.com,,,,,,,,http://\n"
    "Io,io@example.com,,1.5,NO,23:59,,,,https://example.com\n"
)
EXPECTED_ERRORS = [
    "line 3 (email:bo@example.com): cf:seats: not a number: 'three'",
    "line 4 (email:cy@example.com): cf:Newsletter: not a checkbox value: 'maybe'",
    "line 5 (email:di@example.com): cf:Preferred Call Time: not an HH:MM 24-hour time: '25:00'",
    "line 6 (email:ed@example.com): cf:Plan: 'Platinum' is not one of the options of Plan: "
    "Free, Starter, Pro, Enterprise",
    "line 7 (email:fa@example.com): cf:Renewal Date: not a yyyy-mm-dd date: '31/12/2027'",
    "line 8 (email:gu@example.com): cf:Billing Email: not a valid email address: 'not-an-email'",
    "line 9 (email:hu@example.com): cf:Company Website: not an http(s) URL: 'http://'",
]


async def test_cf_values_take_their_fields_types_on_the_wire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "c.csv", TYPED)
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 1
        assert upserts(sb) == 2  # the mistyped rows are not sent
        ana = sb.store.find_by_email("ana@example.com")
        io = sb.store.find_by_email("io@example.com")
    assert ana is not None and ana["custom_fields"] == {
        "Notes": "2024",  # a text field keeps 2024 as text
        "Seats": 2024,  # a number field gets a JSON number
        "Newsletter": "true",
        "Preferred Call Time": "09:30",
        "Plan": "Pro",  # as the workspace spells it
        "Renewal Date": "2027-02-02",
        "Billing Email": "b@example.com",
        "Company Website": "www.example.com/x",
    }
    assert io is not None and io["custom_fields"] == {
        "Seats": 1.5,
        "Newsletter": "false",
        "Preferred Call Time": "23:59",
        "Company Website": "https://example.com",
    }
    out = capsys.readouterr().out
    for expected in EXPECTED_ERRORS:
        assert expected in out
    assert "total 9, succeeded 2, failed 7" in out


async def test_a_dry_run_checks_cf_values_against_the_workspace_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "c.csv", TYPED)
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb), "--dry-run") == 1
        assert sb.stats.requests == 1 and calls(sb, FIELDS) == 1
    out = capsys.readouterr().out
    for expected in EXPECTED_ERRORS:
        assert expected in out
    assert "dry run: total 9, valid 2, failed 7" in out
    unknown = write(tmp_path, "u.csv", "firstName,email,cf:Nope\nAna,a@example.com,1\n")
    assert await aelyst("upsert", unknown, "--sandbox", "--dry-run") == 2
    assert "the workspace has no custom field 'Nope'" in capsys.readouterr().err


async def test_a_dry_run_without_a_token_checks_by_shape_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "c.csv", "firstName,email,cf:Anything\nAna,a@example.com,2024\n")
    assert await aelyst("upsert", path, "--dry-run", "--progress", "off") == 0
    captured = capsys.readouterr()
    assert "dry run without a token: cf: values are checked by their shape only" in captured.err
    assert "dry run: total 1, valid 1, failed 0" in captured.out


@pytest.fixture
async def fields_forbidden() -> AsyncIterator[tuple[Sandbox, str]]:
    async with forbidding_fields() as pair:
        yield pair


async def test_fields_that_cannot_be_read_fall_back_to_checks_by_shape(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fields_forbidden: tuple[Sandbox, str],
) -> None:
    sb, base_url = fields_forbidden
    path = write(tmp_path, "c.csv", "firstName,email,cf:Seats\nAna,a@example.com,3\n")
    assert await aelyst("upsert", path, "--base-url", base_url, "--token", sb.token) == 0
    ana = sb.store.find_by_email("a@example.com")
    assert ana is not None and ana["custom_fields"] == {"Seats": 3}
    err = capsys.readouterr().err
    assert err.count("cannot read the workspace's custom fields (403 Forbidden)") == 1
    assert "checking cf: values by their shape only" in err


async def test_jsonl_custom_field_values_are_converted_by_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {
            "firstName": "Ana",
            "email": "ana@example.com",
            "custom_fields": [
                {"name": "Notes", "value": 2024},
                {"name": "Seats", "value": "3"},
                {"name": "Newsletter", "value": "Yes"},
            ],
        },
        {
            "firstName": "Bo",
            "email": "bo@example.com",
            "custom_fields": [{"name": "Seats", "value": 1}, {"name": "Nope", "value": "x"}],
        },
    ]
    path = write(tmp_path, "c.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 1
        ana = sb.store.find_by_email("ana@example.com")
        assert upserts(sb) == 1
    assert ana is not None
    assert ana["custom_fields"] == {"Notes": "2024", "Seats": 3, "Newsletter": "true"}
    out = capsys.readouterr().out
    bo = "line 2 (email:bo@example.com): custom_fields[1] (Nope): the workspace has no custom "
    assert bo in out
    assert "field 'Nope' (did you mean Notes?)" in out


# -- tags and lifecycle -------------------------------------------------------------------------


async def test_tags_and_lifecycle_are_applied_after_the_upsert_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    many = ",".join(f"t{i}" for i in range(12))
    path = write(
        tmp_path,
        "c.csv",
        "First Name,Email,Tags,Lifecycle\n"
        'Ana,ana@example.com," vip , 2026,,vip",Hot Lead\n'
        "Bo,bo@example.com,,\n"
        "Ana,ana@example.com,late,Customer\n"
        f'Cy,cy@example.com,"{many}",\n',
    )
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 0
        ana = sb.store.find_by_email("ana@example.com")
        bo = sb.store.find_by_email("bo@example.com")
        cy = sb.store.find_by_email("cy@example.com")
        assert upserts(sb) == 4
        assert calls(sb, TAG) == 4  # Ana twice, Cy's 12 tags in two calls of at most 10
        assert calls(sb, LIFECYCLE) == 2
    assert ana is not None and ana["tags"] == ["vip", "2026", "late"]
    assert ana["lifecycle"] == "Customer"  # the later row of the contact came last
    assert bo is not None and bo["tags"] == [] and bo["lifecycle"] is None
    assert cy is not None and cy["tags"] == [f"t{i}" for i in range(12)]
    assert "total 4, succeeded 4, failed 0" in capsys.readouterr().out


async def test_a_failed_step_fails_the_row_and_names_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "firstName,email,tags,lifecycle\nAna,ana@example.com,vip,Astronaut\nBo,bo@example.com,,\n",
    )
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 1
        ana = sb.store.find_by_email("ana@example.com")
    assert ana is not None and ana["tags"] == ["vip"] and ana["lifecycle"] is None
    out = capsys.readouterr().out
    assert (
        f"line 2 (email:ana@example.com): lifecycle (after the upsert of contact id {ana['id']} "
        "succeeded; a rerun with --journal sends the row again, safely): 400 " in out
    )
    assert "total 2, succeeded 1, failed 1" in out


async def test_tags_and_lifecycle_are_journaled_and_a_resume_neither_repeats_nor_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        "Ana,ana@example.com,vip,Customer",
        "Bo,bo@example.com,new,Astronaut",  # a lifecycle stage the workspace lacks
        "Cy,cy@example.com,,Hot Lead",
    ]
    header = "firstName,email,tags,lifecycle\n"
    path = write(tmp_path, "c.csv", header + "\n".join(rows) + "\n")
    journal = str(tmp_path / "import.journal")
    async with Sandbox() as sb:
        args = (*api(sb), "--journal", journal)
        assert await aelyst("upsert", path, *args) == 1
        assert (upserts(sb), calls(sb, TAG), calls(sb, LIFECYCLE)) == (3, 2, 3)
        rows[1] = "Bo,bo@example.com,new,Payment"  # fixed
        write(tmp_path, "c.csv", header + "\n".join(rows) + "\n")
        assert await aelyst("upsert", path, *args) == 0
        # only Bo's row again: upsert (idempotent), tags (idempotent), lifecycle
        assert (upserts(sb), calls(sb, TAG), calls(sb, LIFECYCLE)) == (4, 3, 4)
        assert await aelyst("upsert", path, *args) == 0
        assert (upserts(sb), calls(sb, TAG), calls(sb, LIFECYCLE)) == (4, 3, 4)
        rows[0] = "Ana,ana@example.com,vip,Cold Lead"  # only the lifecycle changed
        write(tmp_path, "c.csv", header + "\n".join(rows) + "\n")
        assert await aelyst("upsert", path, *args) == 0
        assert (upserts(sb), calls(sb, TAG), calls(sb, LIFECYCLE)) == (5, 4, 5)
        ana = sb.store.find_by_email("ana@example.com")
        bo = sb.store.find_by_email("bo@example.com")
    assert ana is not None and ana["lifecycle"] == "Cold Lead" and ana["tags"] == ["vip"]
    assert bo is not None and bo["lifecycle"] == "Payment" and bo["tags"] == ["new"]
    out = capsys.readouterr().out
    assert "total 3, succeeded 1, failed 0, skipped 2 (done in an earlier run)" in out


async def test_jsonl_tags_and_lifecycle(tmp_path: Path) -> None:
    line = {"firstName": "Ana", "email": "ana@example.com", "tags": ["vip"], "lifecycle": "Payment"}
    path = write(tmp_path, "c.jsonl", json.dumps(line) + "\n")
    async with Sandbox() as sb:
        assert await aelyst("upsert", path, *api(sb)) == 0
        ana = sb.store.find_by_email("ana@example.com")
    assert ana is not None and ana["tags"] == ["vip"] and ana["lifecycle"] == "Payment"


async def test_a_tag_too_long_is_the_rows_error_naming_the_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "c.csv", f"firstName,email,Labels\nAna,a@example.com,{'x' * 256}\n")
    assert await aelyst("upsert", path, "--map", "Labels=tags", "--dry-run") == 1
    assert "line 2 (email:a@example.com): Labels: a tag has at most 255 characters" in (
        capsys.readouterr().out
    )
