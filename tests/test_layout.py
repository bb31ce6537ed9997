"""The rules of the layout (SPEC section 11), read from the code's own imports and calls:
each rule names what it forbids, and a module that breaks one fails here."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import syndicate

PACKAGE = Path(__file__).resolve().parents[1] / "syndicate"
SQL_CALLS = {"execute", "executemany", "executescript"}
# The package's face: its names, and the modules behind them.
FACE = {
    "syndicate",
    "syndicate.api",
    "syndicate.mailing_list",
    *(f"syndicate.{name}" for name in syndicate.__all__),
}


def modules() -> Iterator[tuple[str, ast.Module]]:
    """Each module of the package, by its path under syndicate/ ("site/load.py")."""
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text("utf-8"))


def imported(tree: ast.Module) -> set[str]:
    """The syndicate modules a module imports, wherever it imports them."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "syndicate" or name.startswith("syndicate.")}


def under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in packages)


# (the modules a rule is about, the imports they must not have, why)
FORBIDDEN = [
    ("feeds/", ("syndicate.digests", "syndicate.mail"), "feeds are built, never mailed"),
    ("digests/", ("syndicate.feeds", "syndicate.mail"), "digests are built; mail/ sends them"),
    ("site/", ("syndicate._cache",), "loading takes the caches' way as `make`"),
    ("errors.py", ("syndicate._cache",), "the errors never depend on the caches"),
    ("site/records.py", ("syndicate._cache",), "the records never depend on the caches"),
]
# (the modules a rule is about, all that they may import of syndicate, why)
ALLOWED = [
    ("_store/", ("syndicate._store", "syndicate._util", "syndicate.errors"), "below every stage"),
    ("_util/", ("syndicate._util", "syndicate._version"), "helpers of every stage"),
]


def breaking(place: str, breaks: Callable[[str], bool]) -> list[str]:
    """Each import of the modules at `place` (a file, or a folder/) for which `breaks`."""
    return [
        f"{path} imports {name}"
        for path, tree in modules()
        if path == place or (place.endswith("/") and path.startswith(place))
        for name in sorted(imported(tree))
        if breaks(name)
    ]


@pytest.mark.parametrize(("place", "forbidden", "why"), FORBIDDEN, ids=[r[0] for r in FORBIDDEN])
def test_no_module_imports_what_a_rule_forbids(
    place: str, forbidden: tuple[str, ...], why: str
) -> None:
    assert breaking(place, lambda name: under(name, *forbidden)) == [], why


@pytest.mark.parametrize(("place", "allowed", "why"), ALLOWED, ids=[r[0] for r in ALLOWED])
def test_the_lowest_floors_import_only_what_they_may(
    place: str, allowed: tuple[str, ...], why: str
) -> None:
    assert breaking(place, lambda name: not under(name, *allowed)) == [], why


def test_only_the_cli_imports_the_cli() -> None:
    broken = [
        f"{path} imports {name}"
        for path, tree in modules()
        if not path.startswith("cli/") and path != "__main__.py"
        for name in imported(tree)
        if under(name, "syndicate.cli")
    ]
    assert broken == []


def test_the_commands_call_only_the_face() -> None:
    # scaffold.py writes a new site folder for `init`: machinery of the CLI's own.
    broken = [
        f"{path} imports {name}"
        for path, tree in modules()
        if path.startswith("cli/") and path != "cli/scaffold.py"
        for name in imported(tree)
        if not (name in FACE or under(name, "syndicate.cli"))
    ]
    assert broken == []


def test_every_sql_statement_is_in_the_store() -> None:
    calls = [
        f"{path}:{node.lineno}"
        for path, tree in modules()
        if not path.startswith("_store/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SQL_CALLS
    ]
    assert calls == []


def test_no_assert_stands_in_for_control_flow() -> None:
    # python -O drops them: a check that must hold in production raises.
    asserts = [
        f"{path}:{node.lineno}"
        for path, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
    ]
    assert asserts == []
