"""Set-up every network command shares: config, settings and credentials, resolved once."""

from __future__ import annotations

from dataclasses import replace

from pixup import credentials
from pixup.context import Context
from pixup.keystore import KeyStore
from pixup.settings import Flags, Settings, resolve
from pixup.specs import CredentialSpec


def load_settings(flags: Flags, ctx: Context) -> Settings:
    """Settings without credentials (ping, thumb-url need none)."""
    return resolve(flags, ctx.env, ctx.config())


def with_credentials(
    settings: Settings,
    specs: tuple[CredentialSpec, ...],
    ctx: Context,
    *,
    interactive: bool,
) -> Settings:
    """``settings`` with the credentials ``specs`` filled in (see pixup.credentials)."""
    config = ctx.config()
    found = credentials.resolve(
        specs,
        f"{settings.provider.name} API {settings.target.api}"
        if len(settings.provider.apis) > 1
        else settings.provider.name,
        ctx.env,
        config,
        KeyStore(ctx.env),
        prompt=(lambda spec: ctx.prompt.text(spec.label, secret=spec.secret) or None)
        if interactive
        else None,
    )
    return replace(settings, found_credentials=found)
