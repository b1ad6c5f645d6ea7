"""Set-up every network command shares: config, settings and credentials, resolved once."""

from __future__ import annotations

from dataclasses import replace

from pixup import credentials
from pixup.context import Context
from pixup.models import Credentials
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
    """``settings`` with the credentials ``specs`` filled in (see pixup.credentials), and
    those of the provider's optional ones that are there."""
    provider = settings.provider
    where = (
        f"{provider.name} API {settings.target.api}" if len(provider.apis) > 1 else provider.name
    )
    found = credentials.resolve(
        specs,
        where,
        ctx.env,
        ctx.config(),
        ctx.keystore(),
        prompt=(lambda spec: ctx.prompt.text(spec.label, secret=spec.secret) or None)
        if interactive
        else None,
    )
    optional = provider.optional_credentials(settings.target.api)
    if optional:
        extra = credentials.lookup(optional, ctx.env, ctx.config(), ctx.keystore()).credentials
        found = Credentials({**extra.values, **found.values}, found.public | extra.public)
    return replace(settings, found_credentials=found)
