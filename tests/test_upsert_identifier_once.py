"""A CSV row's identifier is parsed and checked once, at the edge, and carried as an
``Identifier`` through the row's calls (upsert, tags, lifecycle): issue 21."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aelyst_async._sansio.validate import contact as contact_checks
from aelyst_async.sandbox import Sandbox
from aelyst_async.types.contact import Identifier
from tests.cli_helpers import aelyst, calls


async def test_a_rows_identifier_is_parsed_and_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    checked: list[Identifier] = []
    parse = Identifier.parse.__func__  # type: ignore[attr-defined]
    validate = contact_checks.validate_identifier

    def counting_parse(cls: type[Identifier], text: str | Identifier) -> Identifier:
        if isinstance(text, str):
            parsed.append(text)
        return parse(cls, text)  # type: ignore[no-any-return]

    def counting_validate(identifier: Identifier, *args: Any, **kwargs: Any) -> Any:
        checked.append(identifier)
        return validate(identifier, *args, **kwargs)

    monkeypatch.setattr(Identifier, "parse", classmethod(counting_parse))
    monkeypatch.setattr(contact_checks, "validate_identifier", counting_validate)
    rows = tmp_path / "one.csv"
    rows.write_text(
        "identifier,firstName,email,tags,lifecycle\n"
        'email:ana@example.com,Ana,ana@example.com,"vip, 2026",Customer\n',
        encoding="utf-8",
    )
    async with Sandbox(lifecycles=["Customer"]) as sb:
        argv = ("--base-url", sb.base_url, "--token", sb.token, "--progress", "off")
        assert await aelyst("upsert", str(rows), *argv) == 0
        assert calls(sb, "POST /contact/{identifier}/tag") == 1
        assert calls(sb, "POST /contact/{identifier}/lifecycle/update") == 1
    assert parsed == ["email:ana@example.com"]  # once, where the row is read
    assert [str(i) for i in checked if i.kind == "email"] == ["email:ana@example.com"]
