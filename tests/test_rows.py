"""Reading contact files: CSV and JSONL rows, their errors, and file-level errors.

The tests are ``async def`` only so that they share the event-loop handling of the async tests
(pure functions are tested; nothing is awaited).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aelyst_async import UNSET, Contact, ContactValidationError, CustomField
from aelyst_async._cli.columns import FileFormatError, cell_number
from aelyst_async._cli.jsonl import jsonl_row
from aelyst_async._cli.row import Row
from aelyst_async._cli.rows import RowReader, detect_format


def open_rows(path: str, **options: object) -> RowReader:
    return RowReader(path, **options)  # type: ignore[arg-type]


def count_rows(path: str, fmt: str = "csv") -> int:
    with RowReader(path, fmt) as reader:  # type: ignore[arg-type]
        return reader.count()


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return str(path)


def read(path: str, **options: object) -> list[Row]:
    with open_rows(path, **options) as rows:
        return list(rows)


def problems(row: Row) -> list[tuple[str, str]]:
    assert isinstance(row.error, ContactValidationError), row
    return [(p.field, p.problem) for p in row.error.errors]


# -- CSV ------------------------------------------------------------------------------------------


async def test_csv_row_with_every_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "firstName,lastName,phone,email,language,profilePic,countryCode,"
        "cf:Company Website,cf:Seats,cf:Newsletter,identifier\n"
        "Muhammad ,Mahin,+60123456789,test@example.com,ms,https://cdn.aelyst.ai/p.png,MY,"
        "https://example.com,12,true,phone:+60123456789\n",
    )
    [row] = read(path)
    assert row.line == 2
    assert row.identifier == "phone:+60123456789"
    assert row.label == "phone:+60123456789"
    assert row.contact == Contact(
        "Muhammad",  # cell values are trimmed
        last_name="Mahin",
        phone="+60123456789",
        email="test@example.com",
        language="ms",
        profile_pic="https://cdn.aelyst.ai/p.png",
        country_code="MY",
        custom_fields=[
            CustomField("Company Website", "https://example.com"),
            CustomField("Seats", 12),
            CustomField("Newsletter", "true"),
        ],
    )


async def test_csv_quoting_bom_blank_lines_and_empty_cells(tmp_path: Path) -> None:
    content = (
        "\ufefffirstName,lastName,email,cf:Notes\r\n"
        '"Ana, Maria","O""Brien",ana@example.com,"line one\nline two"\r\n'
        "\r\n"
        ",,,\r\n"
        "Bob,,bob@example.com,\r\n"
        "Cy,  ,cy@example.com\r\n"
    )
    rows = read(write(tmp_path, "q.csv", content))
    assert [r.line for r in rows] == [2, 6, 7]  # where each record starts; the header is 1
    ana, bob, cy = (r.contact for r in rows)
    assert ana == Contact(
        "Ana, Maria",
        last_name='O"Brien',
        email="ana@example.com",
        custom_fields=[CustomField("Notes", "line one\nline two")],
    )
    assert bob == Contact("Bob", email="bob@example.com")
    assert bob is not None and bob.last_name is UNSET and bob.custom_fields is UNSET
    assert cy == Contact("Cy", email="cy@example.com")  # a blank cell is empty; short rows too
    assert [r.identifier for r in rows] == [None, None, None]
    assert [r.label for r in rows] == [
        "email:ana@example.com",
        "email:bob@example.com",
        "email:cy@example.com",
    ]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("42", 42),
        ("-3", -3),
        ("0", 0),
        ("2.5", 2.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("1.5E-2", 0.015),
        (".5", 0.5),
        ("007", None),
        ("+5", None),
        ("1.", None),
        ("1_000", None),
        ("nan", None),
        ("inf", None),
        ("1e999", None),
        ("true", None),
        ("false", None),
        ("12 seats", None),
        ("e5", None),
    ],
)
async def test_cf_cells_that_are_numbers(cell: str, value: float | None) -> None:
    result = cell_number(cell)
    assert result == value
    if value is not None:
        assert type(result) is type(value)


async def test_cf_cells_become_numbers_or_strings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "n.csv",
        "firstName,cf:Seats,cf:Newsletter,cf:Notes,cf:Plan\nAna,3,false,007,\nBo,2.50,true,x,Pro\n",
    )
    first, second = (r.contact for r in read(path))
    assert first is not None and second is not None
    assert first.custom_fields == (
        CustomField("Seats", 3),
        CustomField("Newsletter", "false"),
        CustomField("Notes", "007"),
    )
    assert second.custom_fields == (
        CustomField("Seats", 2.5),
        CustomField("Newsletter", "true"),
        CustomField("Notes", "x"),
        CustomField("Plan", "Pro"),
    )


async def test_csv_rows_that_cannot_be_read(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "firstName,email\nAna,a@example.com,extra\n,b@example.com\n")
    too_long, no_name = read(path)
    assert too_long.contact is None
    assert problems(too_long) == [("row", "has 3 cells but the header has 2 columns")]
    assert too_long.label == "email:a@example.com"
    # a missing first name is left to validation, which names the field
    assert no_name.contact == Contact("", email="b@example.com")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("firstName,email,nickname,Frist\nAna,a@example.com,,\n", "unknown columns 'nickname', "),
        ("firstName,email,Email\n", "columns 'email' and 'Email' both mean email"),
        ("firstName,cf:Seats, cf:Seats\n", "columns 'cf:Seats' and 'cf:Seats' both mean"),
        ("firstName,cf:\n", "unknown column 'cf:'"),
        ("email,phone\na@example.com,\n", "no firstName column"),
        ("", "is empty"),
        ("\n\n", "is empty"),
    ],
)
async def test_csv_file_errors(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(FileFormatError, match=message):
        open_rows(path)
    with pytest.raises(FileFormatError, match=message):
        count_rows(path, "csv")


async def test_unknown_columns_message_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "Frist Name,email,Telephone\n")
    with pytest.raises(FileFormatError) as info:
        open_rows(path)
    message = str(info.value)
    assert (
        "unknown columns 'Frist Name' (did you mean firstName?), 'Telephone' (did you mean phone?)"
        in message
    )
    assert "firstName, lastName, phone, email, language, profilePic, countryCode" in message
    assert "identifier" in message and "cf:<Field Name>" in message
    assert "--map 'Frist Name=firstName'" in message


async def test_header_names_are_trimmed(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", " firstName , email \nAna,a@example.com\n")
    [row] = read(path)
    assert row.contact == Contact("Ana", email="a@example.com")


async def test_header_only_and_counting(tmp_path: Path) -> None:
    assert read(write(tmp_path, "h.csv", "firstName,email\n")) == []
    path = write(tmp_path, "c.csv", 'firstName\nA\n\n"B\nB"\n,\nC\n')
    assert count_rows(path, "csv") == 3
    assert [r.line for r in read(path)] == [2, 4, 7]


async def test_bytes_that_are_not_utf8_are_a_file_error_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "firstName\nJos\xe9\n".encode("latin-1"))
    with pytest.raises(
        FileFormatError, match=r"line 2: b'\\xe9' is not utf-8-sig text.*--encoding"
    ):
        count_rows(path, "csv")
    # further in, the error comes from the rows (a file read without counting first)
    late = ("firstName\n" + "Ana\n" * 10_000 + "Jos\xe9\n").encode("latin-1")
    path = write(tmp_path, "late.csv", late)
    with open_rows(path) as rows, pytest.raises(FileFormatError, match="line 10002: "):
        list(rows)
    # with the file's encoding it reads
    [row] = read(
        write(tmp_path, "cp.csv", "firstName\nJos\xe9\n".encode("cp1252")), encoding="cp1252"
    )
    assert row.contact == Contact("Jos\xe9")


async def test_missing_file_and_formats(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="cannot open"):
        open_rows(str(tmp_path / "missing.csv"))
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.jsonl") == "jsonl"
    assert detect_format("a.ndjson") == "jsonl"
    assert detect_format("a.txt", "csv") == "csv"
    with pytest.raises(FileFormatError, match="cannot tell the format"):
        detect_format("contacts.txt")
    with pytest.raises(FileFormatError, match="unknown format"):
        detect_format("contacts.csv", "xml")


async def test_rows_are_read_lazily(tmp_path: Path) -> None:
    lines = "".join(f"P{i},p{i}@example.com\n" for i in range(5000))
    path = write(tmp_path, "big.csv", "firstName,email\n" + lines)
    with open_rows(path) as rows:
        iterator = iter(rows)
        first = next(iterator)
        assert first.line == 2
        position = rows._binary.tell()
    assert position < 100_000  # not the whole file (about 120 kB)


# -- JSONL ----------------------------------------------------------------------------------------


async def test_jsonl_rows(tmp_path: Path) -> None:
    content = (
        '{"firstName": "Ana", "email": "a@example.com", "identifier": "id:7",'
        ' "custom_fields": [{"name": "Seats", "value": 3}, {"name": "Notes", "value": null}]}\n'
        "\n"
        '   {"firstName": "Bo", "lastName": null, "phone": "+351912345678"}\n'
    )
    first, second = read(write(tmp_path, "c.jsonl", content))
    assert (first.line, first.identifier, first.label) == (1, "id:7", "id:7")
    assert first.contact == Contact(
        "Ana",
        email="a@example.com",
        custom_fields=[CustomField("Seats", 3), CustomField("Notes", None)],
    )
    assert (second.line, second.identifier, second.label) == (3, None, "phone:+351912345678")
    assert second.contact == Contact("Bo", last_name=None, phone="+351912345678")
    assert count_rows(write(tmp_path, "d.jsonl", content), "jsonl") == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", [("body", "not valid JSON: ")]),
        ('{"firstName": NaN}', [("body", "not valid JSON: NaN is not a JSON number")]),
        ("[1, 2]", [("body", "must be a JSON object, not an array")]),
        ("[" * 100_000 + "]" * 100_000, [("body", "nested too deeply")]),
        ('{"firstName": "A", "identifier": 7}', [("identifier", "must be a string, got a number")]),
        ('{"email": "a@example.com"}', [("first_name", "is required")]),
        ('{"firstName": 1}', [("first_name", "must be a string, got a number")]),
        ('{"firstName": "A", "nick": "x"}', [("nick", "unknown field")]),
        ('{"firstName": "A", "countryCode": 5}', [("country_code", "must be a string or null, ")]),
        ('{"firstName": "A", "custom_fields": {}}', [("custom_fields", "must be a list, got ")]),
        ('{"firstName": "A", "custom_fields": [3]}', [("custom_fields[0]", "must be an object")]),
        (
            '{"firstName": "A", "custom_fields": [{"name": "Seats"}]}',
            [("custom_fields[0].value", "is required (null clears)")],
        ),
        (
            '{"firstName": "A", "custom_fields": [{"value": 1, "x": 2}]}',
            [("custom_fields[0]", "unknown key 'x'"), ("custom_fields[0].name", "is required")],
        ),
        (
            '{"firstName": "A", "custom_fields": [{"name": "Newsletter", "value": true}]}',
            [("custom_fields[0].value", "must be a string, number or null, got a boolean")],
        ),
    ],
)
async def test_jsonl_rows_that_cannot_be_read(line: str, expected: list[tuple[str, str]]) -> None:
    row = jsonl_row(4, line)
    assert row.line == 4 and row.contact is None
    found = problems(row)
    assert len(found) == len(expected)
    for (field, problem), (want_field, want_problem) in zip(found, expected, strict=True):
        assert field == want_field
        assert problem.startswith(want_problem), problem


async def test_jsonl_error_rows_keep_a_label() -> None:
    row = jsonl_row(1, '{"firstName": 1, "email": "a@example.com"}')
    assert row.label == "email:a@example.com" and row.identifier is None
    row = jsonl_row(1, '{"firstName": 1, "identifier": "id:3"}')
    assert row.label == "id:3"


async def test_jsonl_with_a_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "b.jsonl", '\ufeff{"firstName": "A", "email": "a@example.com"}\n')
    [row] = read(path)
    assert row.contact == Contact("A", email="a@example.com")
