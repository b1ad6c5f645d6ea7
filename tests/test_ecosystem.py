"""Completions, man page, colour, clipboard and packaging: the parts that make pixup fit
a user's shell and system."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import Sandbox, installed_pixup

from pixup.output import Output

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import gen_docs as docs  # noqa: E402


def test_committed_completions_and_man_page_are_not_stale() -> None:
    for rel, text in docs.generated().items():
        assert (ROOT / rel).read_text() == text, f"{rel} is stale: run python tools/gen_docs.py"


def test_the_man_page_renders_without_warnings() -> None:
    if not shutil.which("groff"):
        pytest.skip("groff is not installed (apt-get install groff-base)")
    result = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(ROOT / "man/pixup.1")],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (0, "")
    text = (ROOT / "man/pixup.1").read_text()
    for section in ("ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
        assert f".SH {section}" in text
    for command in ("upload", "ping", "thumb\\-url", "config login", "config status"):
        assert f".SS {command}" in text


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["pixup", "upload", "--service", ""], ["twitrpix", "imgly", "imgur"]),
        (["pixup", "thumb-url", "3de", "--size", "m"], ["mini", "medium", "m"]),
        # Only the sizes of the service given: TwitrPix has thumb and full, no mini.
        (["pixup", "thumb-url", "3de", "-s", "twitrpix", "--size", ""], ["thumb", "full"]),
        (["pixup", "thumb-url", "3de", "-s", "imgly", "--size", "m"], ["mini", "medium"]),
        (["pixup", "config", "set", "imgly.f"], ["imgly.format"]),
        (["pixup", "th"], ["thumb-url"]),
    ],
)
def test_bash_completion_through_the_committed_script(
    words: list[str], expected: list[str]
) -> None:
    if not shutil.which("bash"):
        pytest.skip("bash is not installed")
    quoted = " ".join(f"'{w}'" for w in words)
    script = (
        f"source '{ROOT / 'completions/pixup.bash'}'; COMP_WORDS=({quoted}); "
        f"COMP_CWORD={len(words) - 1}; _pixup_completion pixup; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    env = {**os.environ, "PATH": f"{Path(installed_pixup()).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert [line for line in result.stdout.splitlines() if line] == expected


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("color", [True, False])
def test_colour_only_when_wanted(color: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    stderr = _Terminal()
    Output(color=color, stderr=stderr).details("t", [("url", "http://x/1")])
    # NO_COLOR asks for no colour; bold and italic may stay.
    colour_code = re.search(r"\x1b\[[\d;]*(?:3[0-7]|38;)", stderr.getvalue())
    assert (colour_code is not None) is color
    assert "http://x/1" in stderr.getvalue()


def test_no_decoration_for_json_quiet_or_a_pipe() -> None:
    for out in (
        Output(json_mode=True, stderr=_Terminal()),
        Output(quiet=True, stderr=_Terminal()),
        Output(stderr=io.StringIO()),
    ):
        out.details("t", [("url", "http://x/1")])
        assert out.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_copy_puts_the_urls_on_the_clipboard(
    box: Sandbox, clean_env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "xclip"
    fake.write_text('#!/bin/sh\ncat > "$CLIP_OUT"\n')
    fake.chmod(0o755)
    clip = tmp_path / "clipboard.txt"
    env = {
        **clean_env,
        **box.env(),
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "DISPLAY": ":99",
        "CLIP_OUT": str(clip),
    }
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [installed_pixup(), "upload", str(png), str(png), "--copy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert clip.read_text() == result.stdout.rstrip("\n")
    assert "Copied 2 URLs to the clipboard (xclip)." in result.stderr
    no_tool = subprocess.run(
        [installed_pixup(), "upload", str(png), "--copy"],
        env={**env, "PATH": "/nonexistent", "DISPLAY": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_tool.returncode == 0
    assert "--copy: no clipboard tool found" in no_tool.stderr


def test_the_wheel_installs_completions_man_page_and_licence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-1000:]
    [wheel] = tmp_path.glob("pixup-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "pixup-{}.data/data/share/".format(wheel.name.split("-")[1])
    for path in (
        "bash-completion/completions/pixup",
        "zsh/site-functions/_pixup",
        "fish/vendor_completions.d/pixup.fish",
        "man/man1/pixup.1",
    ):
        assert data + path in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
