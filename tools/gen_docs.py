"""Generate the shell completions and the man page from the CLI definition itself.

    python tools/gen_docs.py            # rewrite completions/ and man/pixup.1
    python tools/gen_docs.py --check    # exit 1 if a committed file is stale

The tests run the check, so a change to a command or option that is not regenerated
fails the suite.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pixup import __version__

# A development tool: run from a checkout, beside the package it documents.
ROOT = Path(__file__).resolve().parent.parent
SHELLS = {
    "bash": "completions/pixup.bash",
    "zsh": "completions/_pixup",
    "fish": "completions/pixup.fish",
}
MAN = "man/pixup.1"
# A fixed date keeps the page reproducible: it changes with the version, not the day.
MAN_DATE = {"0.1.0": date(2026, 11, 23)}


def completion(shell: str) -> str:
    """What `pixup --show-completion SHELL` prints: Typer's script for that shell. Typer
    takes the shell by name only with its detection turned off; otherwise it would write
    the script of whichever shell runs this generator."""
    result = subprocess.run(
        [sys.executable, "-m", "pixup", "--show-completion", shell],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PIXUP_NO_KEYRING": "1",
            "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
        },
    )
    return result.stdout.rstrip("\n") + "\n"


def _roff(text: str) -> str:
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in escaped.splitlines():
        # A line starting with . or ' would be read as a request.
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def _options(command: Any) -> list[str]:
    out: list[str] = []
    for param in command.params:
        if getattr(param, "hidden", False) or param.param_type_name != "option":
            continue
        names = ", ".join(f"\\fB{_roff(o)}\\fR" for o in [*param.opts, *param.secondary_opts])
        metavar = "" if param.is_flag else f" \\fI{_roff(param.metavar or param.name.upper())}\\fR"
        out += [".TP", names + metavar, _roff(param.help or "")]
    return out


def _epilog(text: str) -> list[str]:
    """The examples, one a line (.nf), without the exit codes (the page has its own)."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("Exit codes:"):
            continue
        if paragraph.startswith("\b\n"):
            out += [".nf", *(_roff(line) for line in paragraph[2:].splitlines()), ".fi"]
        else:
            out.append(_roff(" ".join(paragraph.split())))
    return out


def _usage(path: str, command: Any) -> str:
    args = [
        f"\\fI{_roff(p.metavar or p.name.upper())}\\fR" + ("..." if p.nargs == -1 else "")
        for p in command.params
        if p.param_type_name == "argument"
    ]
    return f"\\fB{_roff(path)}\\fR [\\fIOPTIONS\\fR] " + " ".join(args)


def _walk(command: Any, path: str) -> list[tuple[str, Any]]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return [(path, command)]
    found: list[tuple[str, Any]] = []
    for name, sub in subcommands.items():
        found += _walk(sub, f"{path} {name}")
    return found


def man_page() -> str:
    import typer.main

    from pixup import providers
    from pixup.cli import app
    from pixup.errors import EXIT_CODES_HELP

    root = typer.main.get_command(app)
    day = MAN_DATE.get(__version__, date.today())
    lines = [
        f'.TH PIXUP 1 "{day.isoformat()}" "pixup {__version__}" "User Commands"',
        ".SH NAME",
        "pixup \\- upload photos to TwitrPix, img.ly, Imgur and compatible servers",
        ".SH SYNOPSIS",
        "\\fBpixup\\fR [\\fB\\-\\-no\\-keyring\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]",
        ".SH DESCRIPTION",
        "pixup uploads photos to image hosts from the terminal and from shell scripts. It speaks",
        "the TwitrPix API (API 1 with OAuth credentials, API 2 with OAuth Echo), the img.ly",
        "API (API 2 with OAuth Echo, API 1 with a user name and password), Imgur's API 3",
        "(anonymous with a client ID, or as an account through OAuth 2), and any self\\-hosted",
        "server that speaks the same protocols. Data goes to standard output, everything for",
        "people to standard error; \\fB\\-\\-json\\fR gives one JSON object per line.",
        ".SH GLOBAL OPTIONS",
        *_options(root),
        ".SH COMMANDS",
    ]
    for path, command in _walk(root, "pixup"):
        lines += [".SS " + _roff(path[len("pixup ") :]), _usage(path, command)]
        if command.help:
            lines += [".PP", _roff(" ".join(command.help.split()))]
        if command.epilog:
            lines += [".PP", *_epilog(command.epilog)]
        lines += [".PP", "Options:", ".RS", *_options(command), ".RE"]
    lines += [".SH ENVIRONMENT"]
    env_help = {
        "PIXUP_SERVICE": "The default service: twitrpix, imgly or a custom provider.",
        "PIXUP_<PROVIDER>_<SECRET>": "A custom provider's secret (see pixup provider).",
        "PIXUP_TWITRPIX_URL, PIXUP_IMGLY_URL": "The base URL of each service.",
        "PIXUP_TWITRPIX_API, PIXUP_IMGLY_API": "The API version of each service.",
        "PIXUP_TWITRPIX_FORMAT, PIXUP_IMGLY_FORMAT": "The answer format, json or xml.",
        "PIXUP_TWITRPIX_MAX_SIZE, PIXUP_IMGLY_MAX_SIZE": "The size limit checked before sending.",
        "PIXUP_TIMEOUT": "The network timeout in seconds (default 30).",
        "PIXUP_CONFIG_DIR": "Where config.toml lives.",
        "PIXUP_DATA_DIR": "Where the upload history (history.sqlite3) lives.",
        "PIXUP_HISTORY": "off: do not record uploads in the history.",
        "PIXUP_OAUTH_VERIFY_CREDENTIALS_URL": "The OAuth Echo provider URL.",
        "PIXUP_OAUTH_REQUEST_TOKEN_URL, PIXUP_OAUTH_AUTHORIZE_URL, PIXUP_OAUTH_ACCESS_TOKEN_URL": (
            "The OAuth provider used by config login."
        ),
        **{c.env: f"The {c.label}." for p in providers.builtin() for c in p.credentials},
        "PIXUP_NO_KEYRING": "1: do not use the system keyring.",
        "PIXUP_KEYRING_TIMEOUT": "Seconds before a keyring call is given up (default 5).",
        "PIXUP_ALLOW_INSECURE_HTTP": (
            "1: allow credentials over plain http:// to hosts other than the services' "
            "defaults and loopback."
        ),
        "NO_COLOR": "Any value: no colour in the output.",
    }
    for name, text in env_help.items():
        lines += [".TP", f"\\fB{_roff(name)}\\fR", _roff(text)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI$PIXUP_CONFIG_DIR/config.toml\\fR, else \\fI~/.config/pixup/config.toml\\fR",
        "Settings, never secrets. Secrets live in the system keyring (service name pixup).",
        ".TP",
        "\\fI$PIXUP_DATA_DIR/history.sqlite3\\fR, else \\fI~/.local/share/pixup/history.sqlite3\\fR",
        "The upload history (see \\fBpixup history\\fR). Never a credential.",
        ".TP",
        "\\fI$PIXUP_CONFIG_DIR/providers/NAME.toml\\fR",
        "Custom providers (see \\fBpixup provider\\fR), written by provider add. Never a secret.",
        ".SH EXIT STATUS",
        _roff(EXIT_CODES_HELP),
        ".SH EXAMPLES",
        ".nf",
        _roff('pixup upload photo.jpg -m "Sunset"'),
        _roff("pixup upload *.png --json | jq -r .media.url"),
        _roff("cat a.png | pixup upload - --filename a.png"),
        _roff("pixup provider add example.com.sxcu && pixup upload -s example-com a.png"),
        _roff("pixup config login --service twitrpix"),
        _roff("pixup thumb-url http://img.ly/3de --html"),
        ".fi",
        ".SH SEE ALSO",
        "The README of the pixup project.",
    ]
    return "\n".join(lines) + "\n"


def generated() -> dict[str, str]:
    files = {path: completion(shell) for shell, path in SHELLS.items()}
    files[MAN] = man_page()
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for rel, text in generated().items():
        path = ROOT / rel
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        stale.append(rel)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if check and stale:
        sys.stderr.write(f"stale: {', '.join(stale)} (run: python tools/gen_docs.py)\n")
        return 1
    for rel in stale:
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
