"""The upload history through the installed command: concurrency, skipping what was
already uploaded, schema migration, a corrupt database, and no secret in it."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup

from pixup.history import (
    BUSY_SECONDS,
    DB_NAME,
    MIGRATIONS,
    PENDING_NAME,
    SCHEMA_VERSION,
    migrate,
)
from pixup.sandbox.accounts import SANDBOX


def pixup(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_pixup(), *args], env=env, capture_output=True, text=True, timeout=60
    )


def records(env: dict[str, str]) -> list[dict[str, object]]:
    result = pixup(["history", "--json", "--limit", "1000"], env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env()}


def db_path(env: dict[str, str]) -> Path:
    return Path(env["PIXUP_DATA_DIR"]) / DB_NAME


def test_eight_concurrent_processes_lose_no_record(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    procs = []
    for i in range(8):
        f = tmp_path / f"p{i}.png"
        f.write_bytes(png.read_bytes() + bytes([i]))  # distinct content, distinct hashes
        procs.append(
            subprocess.Popen(
                [installed_pixup(), "upload", str(f), "--json"],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    urls = set()
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        urls.add(json.loads(out)["media"]["url"])
    rows = records(env)
    assert len(rows) == 8
    assert {r["url"] for r in rows} == urls
    assert len({r["sha256"] for r in rows}) == 8
    assert all(r["ok"] is True and r["size"] == png.stat().st_size + 1 for r in rows)


def test_skip_existing_across_runs(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    first = pixup(["upload", str(png), "--json", "-m", "hello"], env)
    url = json.loads(first.stdout)["media"]["url"]
    again = pixup(["upload", str(png), "--skip-existing", "--json"], env)
    doc = json.loads(again.stdout)
    assert (doc["skipped"], doc["media"]["url"], again.returncode) == (True, url, 0)
    assert box.set_state()["attempts"] == 1
    # Another service, or other content, is uploaded.
    other = tmp_path / "other.png"
    other.write_bytes(png.read_bytes() + b"x")
    assert "skipped" not in json.loads(
        pixup(["upload", str(png), "-s", "imgly", "--skip-existing", "--json"], env).stdout
    )
    assert "skipped" not in json.loads(
        pixup(["upload", str(other), "--skip-existing", "--json"], env).stdout
    )
    assert box.set_state()["attempts"] == 3
    # A failed upload is not a reason to skip.
    bad = {**env, "PIXUP_TWITRPIX_API_KEY": "wrong-api-key-123"}
    fresh = tmp_path / "fresh.png"
    fresh.write_bytes(png.read_bytes() + b"y")
    assert pixup(["upload", str(fresh)], bad).returncode == 3
    assert "skipped" not in json.loads(
        pixup(["upload", str(fresh), "--skip-existing", "--json"], env).stdout
    )
    rows = records(env)
    assert [r["ok"] for r in rows] == [True, False, True, True, True]
    assert rows[1]["error_kind"] == "auth" and rows[1]["error_code"] == 999


def test_an_older_schema_is_migrated_and_its_records_kept(env: dict[str, str], png: Path) -> None:
    path = db_path(env)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=1)
    conn.execute(
        "INSERT INTO uploads (time, service, api, file, ok, url) VALUES (1, 'imgly', 2, 'old.png', 1, 'http://img.ly/old')"
    )
    conn.close()
    assert pixup(["upload", str(png)], env).returncode == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    conn.close()
    rows = records(env)
    assert [r["file"] for r in rows][-1] == "old.png"
    assert rows[-1]["url"] == "http://img.ly/old" and rows[-1]["error_message"] is None
    assert len(rows) == 2


@pytest.mark.parametrize("damage", ["garbage", "newer"])
def test_a_database_that_cannot_be_used_never_stops_an_upload(
    box: Sandbox, env: dict[str, str], png: Path, damage: str
) -> None:
    path = db_path(env)
    path.parent.mkdir(parents=True)
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all" * 100)
    else:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
    result = pixup(["upload", str(png), str(png)], env)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 2
    warnings = [line for line in result.stderr.splitlines() if "history cannot be used" in line]
    assert len(warnings) == 1
    assert len(box.uploads()) == 2
    listing = pixup(["history"], env)
    assert listing.returncode == 1
    assert listing.stderr.startswith("pixup: error: the upload history cannot be read")
    assert "Traceback" not in listing.stderr


def test_no_secret_in_the_database(box: Sandbox, env: dict[str, str], png: Path) -> None:
    pixup(["upload", str(png), "-m", "msg"], env)
    pixup(["upload", str(png), "-s", "imgly", "--api", "1"], env)
    pixup(
        ["upload", str(png), "--api", "2"],
        {**env, "PIXUP_OAUTH_TOKEN_SECRET": "wrong-secret-xyz-1"},
    )
    data = b"".join(p.read_bytes() for p in db_path(env).parent.iterdir())
    assert len(records(env)) == 3
    for secret in (
        SANDBOX.api_key,
        SANDBOX.consumer_secret,
        SANDBOX.token,
        SANDBOX.token_secret,
        SANDBOX.password,
        "wrong-secret-xyz-1",
    ):
        assert secret.encode() not in data


def test_filters_show_forget_and_turning_it_off(env: dict[str, str], png: Path) -> None:
    pixup(["upload", str(png), "-m", "beach day"], env)
    pixup(["upload", str(png), "-s", "imgly"], env)
    pixup(["upload", str(png), "--no-history"], env)
    assert pixup(["config", "set", "history", "off"], env).returncode == 0
    pixup(["upload", str(png)], env)
    assert len(records(env)) == 2
    assert [r["service"] for r in records({**env})] == ["imgly", "twitrpix"]
    only = pixup(["history", "-s", "imgly", "--json"], env).stdout.splitlines()
    assert len(only) == 1
    assert len(pixup(["history", "--grep", "beach", "--json"], env).stdout.splitlines()) == 1
    assert pixup(["history", "--failed", "--json"], env).stdout == ""
    assert (
        len(pixup(["history", "--since", "1h", "--json", "--limit", "1"], env).stdout.splitlines())
        == 1
    )
    assert pixup(["history", "--since", "2999-01-01", "--json"], env).stdout == ""
    first = records(env)[-1]
    shown = pixup(["history", "show", str(first["url"]), "--json"], env)
    assert json.loads(shown.stdout)["id"] == first["id"]
    missing = pixup(["history", "show", "nope"], env)
    assert (missing.returncode, missing.stderr) == (
        1,
        "pixup: error: no upload in the history matches 'nope'\n",
    )
    assert pixup(["history", "forget", str(first["id"])], env).returncode == 0
    assert len(records(env)) == 1
    refused = pixup(["history", "forget", "--all"], env)
    assert refused.returncode == 2 and "--all needs --yes" in refused.stderr
    assert pixup(["history", "forget", "--all", "--yes"], env).returncode == 0
    assert records(env) == []


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_locked_database_costs_one_wait_and_loses_no_record(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    assert pixup(["upload", str(png)], env).returncode == 0
    files = []
    for i in range(3):
        files.append(tmp_path / f"f{i}.png")
        files[-1].write_bytes(png.read_bytes() + bytes([i]))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db_path(env))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        result = pixup(["upload", *map(str, files), "-j", "1"], env)
        took = time.monotonic() - started
    finally:
        holder.communicate("", timeout=10)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    # One wait of the busy timeout, not one per file (it was 30 s a file).
    assert took < BUSY_SECONDS + 10, took
    assert result.stderr.count("is locked by another process") == 1
    assert "kept in" in result.stderr
    pending = db_path(env).with_name(PENDING_NAME)
    with open(pending, "a") as fh:
        fh.write('{"service": "twitrpix", "fi')  # a line cut short by kill -9
    rows = records(env)
    assert sorted(r["file"] for r in rows) == sorted([str(png), *map(str, files)])
    assert not pending.exists()
    assert len(records(env)) == 4  # merged once, not again


def test_the_listing_never_breaks_a_url_and_show_reads_plainly(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 3) / "holiday-photo.png"
    deep.parent.mkdir(parents=True)
    deep.write_bytes(png.read_bytes())
    assert pixup(["upload", str(deep)], env).returncode == 0
    url = records(env)[0]["url"]
    listing = pixup(["history"], {**env, "COLUMNS": "90"}).stdout.splitlines()
    [line] = [x for x in listing if url in x]  # whole, on one line
    assert line.endswith(url) and len(line) <= 90
    assert "…" in line and "holiday-photo.png" in line  # the name gave way, its end kept
    shown = pixup(["history", "show", url], env).stdout
    assert re.search(r"^ok\s+yes$", shown, re.MULTILINE)
    assert re.search(r"^size\s+6,321 bytes \(6\.2 KiB\)$", shown, re.MULTILINE)


def test_thumb_url_asks_the_history_which_service_made_a_url(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    # On the sandbox every service shares one host: only the history can tell them apart.
    url = pixup(["upload", str(png), "-s", "imgly", "-q"], env).stdout.strip()
    media_id = url.rsplit("/", 1)[1]
    result = pixup(["thumb-url", url, "--size", "mini"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{box.url}/show/mini/{media_id}"  # img.ly's, not TwitrPix's
    # Without the record, the default service answers for the URL, as before.
    assert pixup(["history", "forget", "--all", "--yes"], env).returncode == 0
    refused = pixup(["thumb-url", url, "--size", "mini"], env)
    assert refused.returncode == 2 and "twitrpix has no thumbnail size 'mini'" in refused.stderr
