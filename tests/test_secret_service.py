"""The credential store against a real Secret Service: a private D-Bus session with an
unlocked gnome-keyring-daemon, as a desktop user's keyring works. Skipped, with the
reason, where dbus-run-session or gnome-keyring-daemon is not installed (.ci/run
installs both)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup

from pixup.sandbox.accounts import SANDBOX

MISSING = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(tool)]

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"no Secret Service here: {', '.join(MISSING)} not installed "
    "(apt-get install dbus gnome-keyring)",
)

SCRIPT = """
set -e
# Unlocking with a password creates the login collection, so nothing ever prompts.
echo -n ci-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
P="$PIXUP_BIN"
echo "$PIXUP_PASSWORD_IN" | "$P" config login -s imgly --api 1 --username "$PIXUP_USER_IN" --password-stdin
"$P" config status --json
"$P" upload "$PIXUP_PNG" -s imgly --api 1 --json
"$P" config logout --json
"$P" config status --json || echo "status exit $?"
"""


def test_login_upload_logout_through_gnome_keyring(
    box: Sandbox, clean_env: dict[str, str], tmp_path: Path, png: Path
) -> None:
    env = {
        **clean_env,
        **SANDBOX.urls(box.url),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        "PIXUP_BIN": installed_pixup(),
        # Uploads go to img.ly API 1: what config status answers for with its exit code.
        "PIXUP_SERVICE": "imgly",
        "PIXUP_IMGLY_API": "1",
        "PIXUP_PNG": str(png),
        "PIXUP_USER_IN": SANDBOX.username,
        "PIXUP_PASSWORD_IN": SANDBOX.password,
    }
    (tmp_path / "run").mkdir(mode=0o700)
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if (
        "gnome-keyring-daemon" in result.stderr
        and "failed" in result.stderr.lower()
        and result.returncode
    ):
        pytest.skip(f"gnome-keyring-daemon could not start: {result.stderr.strip()[-300:]}")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    before, upload, logout, after = (json.loads(line) for line in lines)
    assert before["keyring"]["backend"] == "keyring.backends.SecretService.Keyring"
    assert before["keyring"]["works"] is True
    assert before["services"]["imgly"]["apis"]["1"]["credentials"]["password"] == {
        "present": True,
        "source": "keyring",
    }
    assert upload["ok"] is True and upload["api"] == 1
    assert before["chosen"]["ready"] is True and after["chosen"]["ready"] is False
    assert "status exit 3" in result.stdout  # nothing to upload with after the logout
    assert "imgly.password" in logout["removed"]
    assert after["services"]["imgly"]["apis"]["1"]["credentials"]["password"] == {
        "present": False,
        "source": None,
    }
    assert SANDBOX.password not in result.stdout + result.stderr
    assert not (
        tmp_path / "data" / "keyrings"
    ).exists() or SANDBOX.password.encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "data" / "keyrings").iterdir()
    )
