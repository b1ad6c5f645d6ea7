"""What a login flow works with: the settings, the user's answers, the output.

Each value comes, first that has one, from its `config login` flag, from standard input
(the one ``--…-stdin`` option given), from the environment, from the config file (values
that are not secret) or the keyring (only where the flow keeps a stored secret), and last
from a prompt at the terminal. With no one to ask, the error names the variable and the
option that would give it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

from pixup.context import Context
from pixup.errors import AuthError, UsageError, error_for_status
from pixup.keystore import KeyringUnavailable
from pixup.models import RawResponse
from pixup.output import Output
from pixup.settings import Settings
from pixup.specs import CredentialSpec


class Inputs:
    def __init__(
        self,
        ctx: Context,
        flags: Mapping[str, str],
        stdin_secret: CredentialSpec | None,
        stdin: IO[str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.stdin = stdin or ctx.stdin
        self.flags = flags
        self.stdin_secret = stdin_secret
        self.stdin_value: str | None = None
        # Where each value came from (flag, stdin, environment, config, keyring, prompt),
        # by credential name: login says so, since a shell may still hold old values.
        self.sources: dict[str, str] = {}
        if stdin_secret is not None:
            line = self.stdin.readline().rstrip("\r\n")
            if not line:
                raise UsageError(f"{stdin_secret.stdin_option}: standard input was empty")
            self.stdin_value = line

    def given(self, spec: CredentialSpec) -> str | None:
        """A value the user gave for this run (flag, stdin or environment). A secret from
        the environment is stored only if the person at the terminal agrees."""
        from_stdin = self.stdin_value if spec == self.stdin_secret else None
        for source, value in (("flag", self.flags.get(spec.name)), ("stdin", from_stdin)):
            if value:
                self.sources[spec.name] = source
                return value
        value = self.ctx.env.get(spec.env)
        if not value:
            return None
        if spec.secret and self.ctx.prompt.available:
            question = f"Store {spec.env} from the environment in the keyring as the {spec.label}?"
            if not self.ctx.prompt.confirm(question):
                return None  # asked for instead
        self.sources[spec.name] = f"environment ({spec.env})"
        return value

    def pick(self, spec: CredentialSpec, *, keep_stored: bool = False) -> str:
        """The value of ``spec``; ``keep_stored``: a secret already in the keyring serves."""
        value = self.given(spec)
        if value is None and spec.config:
            raw = self.ctx.config().get(spec.config)
            value = str(raw) if raw else None
            self.sources[spec.name] = "config"
        if value is None and keep_stored and spec.keyring:
            try:
                value = self.ctx.keystore().get(spec.keyring)
            except KeyringUnavailable:
                value = None
            self.sources[spec.name] = "keyring"
        if value:
            return value
        self.sources[spec.name] = "asked"
        return self.ask(spec)

    def ask(self, spec: CredentialSpec) -> str:
        if self.ctx.prompt.available:
            value = self.ctx.prompt.text(spec.label, secret=spec.secret)
            if value:
                return value
        how = f"set {spec.env}" + (f" or pass {spec.stdin_option}" if spec.stdin_option else "")
        raise AuthError(f"{spec.label} is needed to log in: {how}")

    def pin(self, out: Output) -> str:
        if self.ctx.prompt.available:
            value = self.ctx.prompt.text("PIN")
        else:
            out.info("Reading the PIN from standard input...")
            value = self.stdin.readline()
        value = value.strip()
        if not value:
            raise AuthError("no PIN was given; the login was not completed")
        return value


@dataclass
class LoginSession:
    settings: Settings
    inputs: Inputs
    out: Output
    env: Mapping[str, str]
    browser: bool = True

    def show_page(self, url: str, what: str) -> None:
        """Ask the user to open ``url``: it goes to stdout (the one thing a script needs
        from this step), and to a browser when there is a display to show one."""
        self.out.info(f"Open this page, {what}, and enter the PIN it shows:")
        self.out.line(url)
        if self.browser and self.inputs.ctx.prompt.available and _has_display(self.env):
            import webbrowser

            webbrowser.open(url)


@dataclass
class Obtained:
    """What a login step found, to be stored once every step has succeeded."""

    values: dict[CredentialSpec, str] = field(default_factory=dict)
    who: str | None = None


def check_step(resp: RawResponse, what: str) -> None:
    """An OAuth provider's answer to one step of a login: refused (a bad key, secret or
    PIN) is an authentication error; anything but 200 is judged by its status."""
    from pixup.providers import decode

    if resp.status in (400, 401, 403):
        raise AuthError(
            f"the OAuth provider refused the {what} (HTTP {resp.status}): {decode.body_snippet(resp)}",
            http_status=resp.status,
        )
    if resp.status != 200:
        raise error_for_status(
            resp.status, f"the OAuth provider answered HTTP {resp.status} to the {what}"
        )


def _has_display(env: Mapping[str, str]) -> bool:
    import sys

    # Without a display webbrowser may start a text browser in this very terminal.
    return sys.platform in ("darwin", "win32") or bool(
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    )
