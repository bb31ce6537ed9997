"""Running the `syndicate` command in tests, and reading its JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from syndicate.cli import app

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The command's exit status, stdout and stderr; `env`: more environment variables."""
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def listed(site: Path) -> dict[str, dict[str, Any]]:
    code, out, _ = invoke("subscribers", "list", "--json", "--dir", str(site))
    assert code == 0
    return {row["email"]: row for row in json.loads(out)}


def publish_json(root: Path, *flags: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = invoke("publish", str(root), "--json", *flags)
    return code, json.loads(out), err
