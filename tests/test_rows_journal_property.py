"""Properties: any CSV the csv module writes reads back (cells, line numbers); any truncation of
a journal never loses or duplicates an item, and corruption is refused or harmless."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aelyst_async import Contact, JournalError
from aelyst_async._bulk import BulkOptions, Journal, upsert_many
from aelyst_async._bulk.items import Entry, Sent, content_key
from aelyst_async._bulk.journal import MISSING
from aelyst_async._cli.columns import cell_number
from aelyst_async._cli.rows import RowReader

text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"), max_size=12
)
cells = st.tuples(text, text).filter(lambda pair: bool(pair[0].strip()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(cells, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_csv_rows_read_back_with_their_start_lines(
    rows: list[tuple[str, str]], delimiter: str, newline: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(["firstName", "cf:Notes"])
    starts = []
    for row in rows:
        starts.append(buffer.getvalue().count("\n") + 1)
        writer.writerow(row)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        path.write_bytes(buffer.getvalue().encode())
        with RowReader(str(path)) as reader:
            read = list(reader)
            assert reader.delimiter == delimiter
    expected = [(s, r) for s, r in zip(starts, rows, strict=True) if any(c.strip() for c in r)]
    assert [row.line for row in read] == [s for s, _ in expected]
    for row, (_, (name, notes)) in zip(read, expected, strict=True):
        assert row.contact is not None
        assert row.contact.first_name == name.strip()
        fields = row.contact.custom_fields or ()
        cell = notes.strip()
        number = cell_number(cell)
        expected_values = [] if not cell else [cell if number is None else number]
        assert [f.value for f in fields] == expected_values


def people(n: int) -> list[Contact]:
    return [Contact(f"P{i}", email=f"p{i}@example.com") for i in range(n)]


async def run(items: list[Contact], journal: Path) -> list[str]:
    sent: list[str] = []

    async def send(entry: Entry) -> Sent:
        sent.append(str(entry.identifier))
        return Sent(len(sent))

    options = BulkOptions(journal=journal, settle_delay=0, concurrency=3)
    async for _ in upsert_many(send, items, options):
        pass
    return sent


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 12),
    cut=st.floats(0, 1),
    flip=st.none() | st.tuples(st.floats(0, 1), st.integers(0, 255)),
)
async def test_a_damaged_journal_never_loses_or_duplicates(
    n: int, cut: float, flip: tuple[float, int] | None
) -> None:
    items = people(n)
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "j"
        assert len(await run(items, journal)) == n
        data = bytearray(journal.read_bytes())
        header = data.index(b"\n") + 1
        data = data[: header + int(cut * (len(data) - header))]
        if flip is not None and len(data) > header:
            data[header + int(flip[0] * (len(data) - header - 1))] = flip[1]
        journal.write_bytes(bytes(data))
        complete = (
            {
                line.split(b'"identifier": "')[1].split(b'"')[0].decode()
                for line in bytes(data[header:]).split(b"\n")[:-1]
            }
            if flip is None
            else set()
        )
        try:
            sent = await run(items, journal)
        except JournalError:
            assert flip is not None  # corruption is refused, never guessed at
            return
        assert len(sent) == len(set(sent)), "sent once at most"
        if flip is None:
            # exactly the items whose record was cut off are sent again
            assert set(sent) == {f"email:p{i}@example.com" for i in range(n)} - complete
        with Journal.open(journal) as state:  # every item is recorded as done after the resume
            for item in items:
                assert state.succeeded(content_key(f"email:{item.email}", item)) is not MISSING
