"""docs/contracts.md names functions other apps call: each must exist under that name, in
the module the doc says, with the parameters the doc lists (names, keyword-only, defaults,
annotations, the return type). A renamed or re-shaped function fails here until the doc follows."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

NO_DEFAULT = "<no default>"
DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
MODULE_COMMENT = re.compile(r"^# ([a-z_]+(?:[./][a-z_]+)+?)(?:\.py)?(?:\s|$)")
SIGNATURE_START = re.compile(r"^([a-z_][a-z0-9_]*)\(")


@dataclass(frozen=True)
class Documented:
    module: str
    text: str  # "name(*, a: int, ...) -> Result"

    @property
    def name(self) -> str:
        return self.text.split("(", 1)[0]


def _python_blocks(markdown: str) -> list[list[str]]:
    blocks, current = [], None
    for line in markdown.splitlines():
        if line.startswith("```python"):
            current = []
        elif line.startswith("```") and current is not None:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _without_comment(line: str) -> str:
    return line.split("  #", 1)[0].split(" # ", 1)[0].rstrip()


def documented_functions() -> list[Documented]:
    found = []
    for block in _python_blocks(DOC.read_text()):
        module, pending = None, None
        for line in block:
            header = MODULE_COMMENT.match(line)
            if header:
                module = header.group(1).replace("/", ".")
                continue
            if pending is not None:
                pending += " " + _without_comment(line).strip()
            elif SIGNATURE_START.match(line):
                pending = _without_comment(line)
            if pending is not None and pending.count("(") == pending.count(")"):
                assert module, f"no '# module' comment above {pending!r} in {DOC.name}"
                found.append(Documented(module, pending))
                pending = None
    return found


def _documented_parameters(text: str) -> list[tuple[str, str, str | None, str | None]]:
    tree = ast.parse(f"def {text.split(' -> ')[0]}: ...")
    args = tree.body[0].args
    rows = []
    positional = args.posonlyargs + args.args
    pos_defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, pos_defaults, strict=True):
        rows.append((arg.arg, "positional", _default(default), _text(arg.annotation)))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        rows.append((arg.arg, "keyword", _default(default), _text(arg.annotation)))
    return rows


def _text(node: ast.AST | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _default(node: ast.AST | None) -> object:
    """A literal default as its value (so "active" equals Status.ACTIVE); NO_DEFAULT if none."""
    if node is None:
        return NO_DEFAULT
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def _actual_parameters(function) -> list[tuple[str, str, str | None, str | None]]:
    rows = []
    for parameter in inspect.signature(function).parameters.values():
        kind = "keyword" if parameter.kind is parameter.KEYWORD_ONLY else "positional"
        default = NO_DEFAULT if parameter.default is parameter.empty else parameter.default
        annotation = None if parameter.annotation is parameter.empty else parameter.annotation
        if annotation is not None and not isinstance(annotation, str):
            annotation = inspect.formatannotation(annotation)
        rows.append((parameter.name, kind, default, annotation))
    return rows


DOCUMENTED = documented_functions()


def test_the_contracts_doc_lists_functions_at_all():
    assert len(DOCUMENTED) >= 20


@pytest.mark.parametrize("documented", DOCUMENTED, ids=lambda d: f"{d.module}.{d.name}")
def test_a_documented_function_has_the_documented_parameters(documented):
    module = importlib.import_module(documented.module)
    function = getattr(module, documented.name, None)
    assert function is not None, f"{documented.module} has no {documented.name}"
    assert _actual_parameters(function) == _documented_parameters(documented.text)
    returns = documented.text.split(" -> ", 1)[1] if " -> " in documented.text else None
    assert str(inspect.signature(function).return_annotation) == returns
