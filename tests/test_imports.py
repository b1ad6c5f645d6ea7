"""What the light commands import: `--help` and `thumb-url` must not load the network,
XML, keyring or rich stacks (a test of what is imported, not of time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEAVY = ("requests", "keyring", "requests_oauthlib", "oauthlib", "defusedxml", "rich", "urllib3")


def imported(
    args: list[str], tmp_path: object, extra: dict[str, str] | None = None, ok: bool = True
) -> set[str]:
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
    assert result.returncode == 0 or not ok, result.stderr[-2000:]
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


_PNG = os.path.join(os.path.dirname(__file__), "fixtures", "sample.png")
_IMGLY_1 = {"PIXUP_USERNAME": "u", "PIXUP_PASSWORD": "p-secret"}


def test_a_dry_run_builds_the_request_without_the_network_stack(tmp_path: object) -> None:
    names = imported(["upload", _PNG, "--dry-run", "-s", "imgly", "--api", "1"], tmp_path, _IMGLY_1)
    assert sorted(n for n in names if n.split(".")[0] in HEAVY) == []
    # Nor the history's database or the hash of a file it will not send.
    assert not {"sqlite3", "hashlib"} & names


def test_the_check_sees_a_heavy_import_where_there_is_one(tmp_path: object) -> None:
    # A control: an upload that is sent does load requests, so the parse above can see one
    # (nothing listens on port 9: it fails, after importing what sending needs).
    names = imported(
        ["upload", _PNG, "-s", "imgly", "--api", "1", "--endpoint", "http://127.0.0.1:9"],
        tmp_path,
        {**_IMGLY_1, "PIXUP_DATA_DIR": str(tmp_path)},
        ok=False,
    )
    assert "requests" in names


@pytest.mark.parametrize("args", [["thumb-url", "3de", "-s", "imgly"], ["config", "path"]])
def test_offline_commands_do_not_create_the_request_models(
    args: list[str], tmp_path: object
) -> None:
    # pixup.models' dataclasses cost milliseconds to create; these commands send nothing.
    assert "pixup.models" not in imported(args, tmp_path)


def test_only_the_invoked_command_is_built() -> None:
    from pixup.cli import _app_for, app, history_app

    def commands(typer_app: Any) -> list[str]:
        return [c.callback.__name__ for c in typer_app.registered_commands]

    slim = _app_for(["--no-color", "thumb-url", "3de"], {})
    assert commands(slim) == ["thumb_url"] and slim.registered_groups == []
    assert slim.registered_callback is app.registered_callback  # the global options stay
    assert len(app.registered_commands) > 1  # the app itself is left whole

    cfg = _app_for(["config", "get", "service"], {})
    assert commands(cfg) == [] and [g.name for g in cfg.registered_groups] == ["config"]
    assert commands(cfg.registered_groups[0].typer_instance) == ["config_get"]

    # A word after an option may be the option's value: the whole group is kept.
    hist = _app_for(["history", "--grep", "show"], {})
    assert hist.registered_groups[0].typer_instance is history_app
    # Help, unknown words and shell completion see everything.
    assert _app_for(["--help"], {}) is app
    assert _app_for(["nope"], {}) is app
    assert _app_for(["thumb-url"], {"_PIXUP_COMPLETE": "complete_bash"}) is app


def test_a_slimmed_run_still_parses_like_the_full_app(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXUP_")}
    env.update(PIXUP_CONFIG_DIR=str(tmp_path), PIXUP_DATA_DIR=str(tmp_path))

    def pixup(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pixup", *args], env=env, capture_output=True, text=True
        )

    listing = pixup("history", "--grep", "show")
    assert (listing.returncode, listing.stderr.strip()) == (0, "No uploads recorded that match.")
    listed = pixup("--help").stdout
    assert all(name in listed for name in ("upload", "ping", "thumb-url", "config", "history"))
    unknown = pixup("config", "nope")
    assert unknown.returncode == 2
    assert "No such command 'nope'" in unknown.stderr


@pytest.mark.parametrize(
    "args", [["thumb-url", "3de", "-s", "imgly"], ["config", "path"], ["--help"]]
)
def test_custom_provider_files_are_read_only_when_needed(args: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "providers"
    folder.mkdir()
    (folder / "mine.toml").write_text('format = 1\n[request]\nurl = "https://x.example/u"\n')
    assert "pixup.providers.custom" not in imported(args, tmp_path)
    # A control: a command that names no built-in provider does read them.
    assert "pixup.providers.custom" in imported(
        ["thumb-url", "3de", "-s", "mine"], tmp_path, ok=False
    )


@pytest.mark.parametrize("args", [["--help"], ["config", "path"]])
def test_help_and_config_path_do_not_load_the_providers(args: list[str], tmp_path: Path) -> None:
    # The login command's options come from the providers' declarations: read only when
    # that command's options can be seen or used.
    assert "pixup.providers" not in imported(args, tmp_path)


def test_the_login_options_come_from_the_declarations(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXUP_")}
    env["PIXUP_CONFIG_DIR"] = str(tmp_path)
    shown = subprocess.run(
        [sys.executable, "-m", "pixup", "config", "login", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    from pixup import providers

    for spec in providers.login_credentials():
        for option in (spec.flag, spec.stdin_option):
            if option:
                assert option in shown, option
    assert "--client-secret-stdin" in shown and "--password-stdin" in shown
