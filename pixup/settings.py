"""One settings object per command, resolved once from flags, environment and config.

Precedence, highest first: command-line flag, environment variable, config file, the
service's default. Every value remembers where it came from (for `config` and `-v`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pixup import config as cfgmod
from pixup import keys, providers
from pixup.errors import ConfigError, UsageError
from pixup.providers.base import Provider, Target

if TYPE_CHECKING:
    from pixup.models import Credentials

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Flags:
    """The options a command was given; ``None`` means "not given"."""

    service: str | None = None
    api: int | None = None
    format: str | None = None
    endpoint: str | None = None
    timeout: float | None = None
    max_size: str | None = None


@dataclass(frozen=True)
class Settings:
    provider: Provider
    target: Target
    timeout: float
    max_size: int | None = None
    history: bool = True
    # Every key resolved, with its value and where it came from: flag, env, config, default.
    effective: dict[str, tuple[Any, str]] = field(default_factory=dict)
    # Filled in only by commands that send something (pixup.commands.common.with_credentials):
    # thumb-url and config never pay for pixup.models.
    found_credentials: Credentials | None = field(default=None, repr=False)

    @property
    def service(self) -> str:
        return self.provider.name

    @property
    def sources(self) -> dict[str, str]:
        """Where each resolved key came from."""
        return {key: source for key, (_, source) in self.effective.items()}

    @property
    def credentials(self) -> Credentials:
        if self.found_credentials is None:
            raise RuntimeError("credentials used before they were resolved")
        return self.found_credentials


class _Resolver:
    def __init__(self, env: Mapping[str, str], config: cfgmod.ConfigFile) -> None:
        self.env = env
        self.config = config
        self.effective: dict[str, tuple[Any, str]] = {}

    def pick(self, key: str, flag: Any, flag_name: str, default: Any) -> Any:
        """The first of flag, environment, config file and default that has a value."""
        value, source = self._find(key, flag, flag_name, default)
        self.effective[key] = (value, source)
        return value

    def _find(self, key: str, flag: Any, flag_name: str, default: Any) -> tuple[Any, str]:
        spec = keys.spec_for(key)
        if flag is not None:
            try:
                return spec.parse(str(flag)), "flag"
            except ValueError as exc:
                raise UsageError(f"bad value for {flag_name}: {exc}") from None
        if spec.env and self.env.get(spec.env):
            try:
                return spec.parse(self.env[spec.env]), "env"
            except ValueError as exc:
                raise ConfigError(f"bad value in {spec.env}: {exc}") from None
        value = keys.valid_value(self.config, key)
        if value is not None:
            return value, "config"
        return default, "default"


def resolve(
    flags: Flags,
    env: Mapping[str, str],
    config: cfgmod.ConfigFile,
) -> Settings:
    r = _Resolver(env, config)
    name = r.pick("service", flags.service, "--service", providers.BUILTIN[0])
    provider = providers.get(name)
    prefix = provider.name
    api = provider.check_api(r.pick(f"{prefix}.api", flags.api, "--api", provider.default_api))
    fmt = r.pick(f"{prefix}.format", flags.format, "--format", "json")
    base = r.pick(f"{prefix}.url", flags.endpoint, "--endpoint", provider.default_base_url)
    timeout = r.pick("timeout", flags.timeout, "--timeout", DEFAULT_TIMEOUT)
    max_size = r.pick(f"{prefix}.max_size", flags.max_size, "--max-size", provider.max_size)
    history = r.pick("history", None, "", True)
    options = {k.name: r.pick(k.name, None, "", k.default) for k in provider.option_keys()}
    return Settings(
        provider=provider,
        target=Target(base_url=base, api=api, format=fmt, options=options),
        timeout=timeout,
        max_size=max_size,
        history=history,
        effective=r.effective,
    )
