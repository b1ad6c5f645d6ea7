"""What the light commands import: `--help` and `thumb-url` must not load the network,
XML, keyring or rich stacks (a test of what is imported, not of time)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("requests", "keyring", "requests_oauthlib", "oauthlib", "defusedxml", "rich", "urllib3")


def imported(args: list[str], tmp_path: object, extra: dict[str, str] | None = None) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXUP_")}
    env["PIXUP_CONFIG_DIR"] = str(tmp_path)
    env.update(extra or {})
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pixup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "pixup.cli" in names  # the parse worked
    return names


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["upload", "--help"],
        ["thumb-url", "3de", "-s", "imgly"],
        ["thumb-url", "http://twitrpix.com/5kr", "--html"],
        ["config", "path"],
    ],
)
def test_light_commands_import_nothing_heavy(args: list[str], tmp_path: object) -> None:
    names = imported(args, tmp_path)
    loaded = sorted(n for n in names if n.split(".")[0] in HEAVY)
    assert loaded == []


def test_the_check_sees_a_heavy_import_where_there_is_one(tmp_path: object) -> None:
    # A control: `upload --dry-run` does load requests, so the parse above can see one.
    png = os.path.join(os.path.dirname(__file__), "fixtures", "sample.png")
    names = imported(
        ["upload", png, "--dry-run", "-s", "imgly", "--api", "1"],
        tmp_path,
        {"PIXUP_USERNAME": "u", "PIXUP_PASSWORD": "p-secret"},
    )
    assert "requests" in names
