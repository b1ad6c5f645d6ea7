"""Shared fixtures: the installed `pixup`, a real sandbox server process, a clean env."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pixup.sandbox.accounts import SANDBOX

FIXTURES = Path(__file__).parent / "fixtures"
SUPPORT = Path(__file__).parent / "support"
sys.path.insert(0, str(SUPPORT))

from pixup_test_keyring import FileKeyring  # noqa: E402


def installed_pixup() -> str:
    """The console script installed beside this interpreter (as a user runs it)."""
    found = shutil.which("pixup", path=str(Path(sys.executable).parent)) or shutil.which("pixup")
    if not found:
        pytest.fail("the `pixup` command is not installed: pip install '.[test]' first")
    return found


@dataclass
class Sandbox:
    url: str
    proc: subprocess.Popen[str]
    data_dir: Path

    def env(self) -> dict[str, str]:
        return SANDBOX.environment(self.url)

    def uploads(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.url + "/_sandbox/uploads", timeout=5) as resp:
            data: list[dict[str, Any]] = json.load(resp)
        return data

    def host_requests(self) -> list[dict[str, Any]]:
        """What the generic image hosts (/hosts/<kind>) received, oldest first."""
        with urllib.request.urlopen(self.url + "/_sandbox/hosts", timeout=5) as resp:
            data: list[dict[str, Any]] = json.load(resp)
        return data

    def set_state(self, **changes: Any) -> dict[str, Any]:
        req = urllib.request.Request(
            self.url + "/_sandbox/state",
            data=json.dumps(changes).encode(),
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def reset(self) -> None:
        self.set_state(
            maintenance=False,
            max_size=4 * 1024 * 1024,
            delay=0,
            fail_next=0,
            retry_after=None,
            clear=True,
        )


def _read_first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            return proc.stdout.readline()
        if proc.poll() is not None:
            break
    return ""


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    data_dir = tmp_path_factory.mktemp("sandbox-data")
    proc = subprocess.Popen(
        [installed_pixup(), "sandbox", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    line = _read_first_line(proc, timeout=20)
    prefix = "pixup sandbox listening on "
    if not line.startswith(prefix):
        proc.kill()
        pytest.fail(f"the sandbox did not start (first line: {line!r})")
    box = Sandbox(url=line[len(prefix) :].strip(), proc=proc, data_dir=data_dir)
    try:
        yield box
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def box(sandbox: Sandbox) -> Sandbox:
    """The sandbox, reset to a known state for one test."""
    sandbox.reset()
    return sandbox


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An environment with no PIXUP_* settings from the developer's shell, an empty
    config directory of its own, and a keyring of its own: a real keyring backend that
    keeps its entries in a file of this test (never the developer's keyring). The same
    backend serves in-process runs and the subprocesses of the test."""
    import keyring

    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXUP_")}
    env["PIXUP_CONFIG_DIR"] = str(tmp_path / "config")
    env["PIXUP_DATA_DIR"] = str(tmp_path / "data")
    env["PIXUP_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")
    env["PYTHON_KEYRING_BACKEND"] = "pixup_test_keyring.FileKeyring"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), env.get("PYTHONPATH")]))
    for key in [k for k in os.environ if k.startswith("PIXUP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIXUP_TEST_KEYRING_FILE", env["PIXUP_TEST_KEYRING_FILE"])
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield env
    keyring.set_keyring(previous)


@pytest.fixture
def png() -> Path:
    return FIXTURES / "sample.png"


def keyring_file(env: dict[str, str]) -> dict[str, str]:
    """What the test keyring of ``env`` (see clean_env) holds, by "pixup/<entry>"."""
    path = Path(env["PIXUP_TEST_KEYRING_FILE"])
    return json.loads(path.read_text()) if path.exists() else {}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
