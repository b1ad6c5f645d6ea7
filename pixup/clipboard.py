"""Put text on the clipboard with whichever tool this desktop has."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping

# (tool, arguments, what the session needs for it to work)
TOOLS: list[tuple[str, list[str], str | None]] = [
    ("wl-copy", [], "WAYLAND_DISPLAY"),
    ("xclip", ["-selection", "clipboard"], "DISPLAY"),
    ("xsel", ["--clipboard", "--input"], "DISPLAY"),
    ("pbcopy", [], None),
    ("clip.exe", [], None),  # WSL
]

MISSING = (
    "no clipboard tool found for this session (install wl-clipboard on Wayland, xclip or "
    "xsel on X11); the URLs are on standard output"
)


def copy(text: str, env: Mapping[str, str] | None = None) -> str | None:
    """Copy ``text``; the name of the tool that did it, or None when none could."""
    env = os.environ if env is None else env
    for tool, args, needs in TOOLS:
        if tool == "pbcopy" and sys.platform != "darwin":
            continue
        if needs and not env.get(needs):
            continue
        path = shutil.which(tool, path=env.get("PATH"))
        if path is None:
            continue
        try:
            # xclip and wl-copy stay behind to serve the selection: no pipes for them to hold.
            subprocess.run(
                [path, *args],
                input=text.encode(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=5,
                check=True,
                env=dict(env),
            )
        except (OSError, subprocess.SubprocessError):
            continue
        return tool
    return None
