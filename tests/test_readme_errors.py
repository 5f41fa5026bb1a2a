"""The README's "Errors" section matches ``aelyst_async._errors`` and its code runs; its
"Conversations" example runs as written against the sandbox."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path
from typing import Any

import aelyst_async
from aelyst_async import AelystClient, AelystError, Contact
from aelyst_async import _errors as errors
from aelyst_async.sandbox import Sandbox

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"\n### {title}\n")
    return README[start : README.index("\n### ", start + 1)]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_error_tree_names_every_error_class_and_no_other() -> None:
    (tree,) = blocks(section("Errors"), "text")[:1]
    named = set(re.findall(r"^[│├└─ ]*([A-Za-z]+Error)\b", tree, flags=re.MULTILINE))
    classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, AelystError)
    }
    assert named == classes


def test_the_errors_python_examples_are_python() -> None:
    for code in blocks(section("Errors"), "python"):
        ast.parse("async def example():\n" + textwrap.indent(code, "    "))


def test_the_sample_output_names_the_classes_as_a_traceback_does() -> None:
    *_, output = blocks(section("Errors"), "text")
    for line in output.splitlines():
        name = line.split(":", 1)[0]
        cls = getattr(aelyst_async, name.rpartition(".")[2])
        assert name == f"{cls.__module__}.{cls.__qualname__}"  # what a traceback prints


async def test_the_conversations_example_runs_as_written(
    aelyst_client: AelystClient, aelyst_sandbox: Sandbox
) -> None:
    for n in range(7):  # so that id:7 is a contact
        await aelyst_client.contacts.create_or_update(f"email:c{n}@example.com", Contact("C"))
    (code,) = blocks(section("Conversations"), "python")
    namespace: dict[str, Any] = {"client": aelyst_client}
    exec("async def example():\n" + textwrap.indent(code, "    "), namespace)
    await namespace["example"]()
    assert aelyst_sandbox.stats.statuses.get(400, 0) == 0
