"""The README's command list is the command line's: every command it shows exists,
with the options it shows, and every command the CLI has is shown."""

from __future__ import annotations

import re
from pathlib import Path

from tests.commands import invoke

README = Path(__file__).resolve().parents[2] / "README.md"
SHOWN = re.compile(r"^    syndicate ([a-z-]+)(?: ([a-z-]+))?(.*)$", re.MULTILINE)
GROUPS = ("subscribers", "state")  # commands of commands
LISTED = re.compile(r"^│ ([a-z][a-z-]*)\s", re.MULTILINE)  # a command in --help's box


def shown() -> list[tuple[str, str | None, list[str]]]:
    """Each `syndicate ...` line of the README: command, subcommand, its options."""
    found = []
    for command, sub, rest in SHOWN.findall(README.read_text("utf-8")):
        options = re.findall(r"(--[a-z-]+)", rest)
        found.append((command, sub if sub and not sub.startswith("-") else None, options))
    return found


def commands(*group: str) -> set[str]:
    code, out, _ = invoke(*group, "--help")
    assert code == 0
    return set(LISTED.findall(out))


def test_every_command_shown_exists_with_its_options() -> None:
    top = commands()
    groups = {group: commands(group) for group in GROUPS}
    for command, sub, options in shown():
        assert command in top, command
        words = [command]
        if command in groups and sub in groups[command]:
            words.append(sub)
        _, out, _ = invoke(*words, "--help")
        for option in options:
            assert option in out, f"syndicate {' '.join(words)} has no {option}"


def test_every_command_is_shown() -> None:
    listed = {command for command, _, _ in shown()}
    assert commands() <= listed
    for group in GROUPS:
        assert commands(group) <= {sub for command, sub, _ in shown() if command == group}


def test_a_flag_shows_no_value_to_give() -> None:
    # `--version <bool>` reads as if the option wanted a value (typer 0.29 wrote that).
    pages = [(), *((command,) for command in commands())]
    pages += [(group, sub) for group in GROUPS for sub in commands(group)]
    for words in pages:
        _, out, _ = invoke(*words, "--help")
        assert "<bool>" not in out, f"syndicate {' '.join(words)} --help"
