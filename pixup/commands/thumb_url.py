"""`pixup thumb-url`: thumbnail URLs and embed snippets, worked out offline.

This path must stay light: no requests, no XML parser, no keyring, no rich.
"""

from __future__ import annotations

import html
from dataclasses import replace
from urllib.parse import urlsplit

from pixup import config as cfgmod
from pixup import providers
from pixup.context import Context
from pixup.errors import PixupError, UsageError
from pixup.output import Output
from pixup.providers.base import Provider, Target, check_media_id
from pixup.settings import Flags, resolve


def run(
    id_or_url: str,
    flags: Flags,
    size: str | None,
    style: str,
    out: Output,
    ctx: Context,
) -> int:
    try:
        obj = build(id_or_url, flags, size, ctx)
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            out.json(
                {"ok": False, "service": flags.service, "input": id_or_url, "error": err.to_json()}
            )
        return err.exit_code
    if out.json_mode:
        out.json(obj)
    else:
        out.line(str(obj[style if style != "url" else "thumb_url"]))
    return 0


def build(id_or_url: str, flags: Flags, size: str | None, ctx: Context) -> dict[str, str | bool]:
    config = ctx.config()
    text = id_or_url.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"{id_or_url!r} is not an http:// or https:// URL")
        segments = [s for s in parts.path.split("/") if s]
        if not segments:
            raise UsageError(f"{id_or_url!r} has no media id in its path")
        try:
            provider, target = _owner(text, flags, ctx, config)
        except UsageError:
            check_media_id(segments[-1])  # a bad id is the first thing to say
            raise
        # Each service knows its URLs (a file name, a size suffix) best.
        media_id = provider.media_id_from_url(text)
    else:
        media_id = check_media_id(text)
        settings = resolve(flags, ctx.env, config)
        provider, target = settings.provider, settings.target
    chosen = provider.check_size(size or provider.default_thumb_size)
    thumb = provider.thumb_url(target, media_id, chosen)
    media = provider.media_url(target, media_id)
    return {
        "ok": True,
        "service": provider.name,
        "id": media_id,
        "size": chosen,
        "thumb_url": thumb,
        "media_url": media,
        "html": f'<a href="{html.escape(media)}"><img src="{html.escape(thumb)}"></a>',
        "markdown": f"[![{media_id}]({thumb})]({media})",
    }


def _owner(
    url: str, flags: Flags, ctx: Context, config: cfgmod.ConfigFile
) -> tuple[Provider, Target]:
    """The service and base URL a media URL belongs to.

    A service's well-known host means its public servers; a URL on a configured base URL
    means that self-hosted server; with --service, any other URL's own origin is the base.
    The default service wins a tie.
    """
    candidates = [providers.get(flags.service)] if flags.service else providers.all_providers()
    matches = _matches(url, candidates, flags, ctx, config)
    if flags.service:
        return matches[0] if matches else _at_origin(url, candidates[0], flags, ctx, config)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"cannot tell which service {url} belongs to; pass --service")
    return _tie(url, matches, flags, ctx, config)


def _tie(
    url: str,
    matches: list[tuple[Provider, Target]],
    flags: Flags,
    ctx: Context,
    config: cfgmod.ConfigFile,
) -> tuple[Provider, Target]:
    """Several services could own the URL: the one the history says made it, else the
    default service, else ask for --service."""
    recorded = _recorded_service(url, ctx)
    default = resolve(Flags(endpoint=flags.endpoint), ctx.env, config).provider
    for wanted in (lambda p: p.name == recorded, lambda p: p is default):
        for p, target in matches:
            if wanted(p):
                return p, target
    names = ", ".join(p.name for p, _ in matches)
    raise UsageError(f"{url} could belong to {names}; pass --service")


def _recorded_service(url: str, ctx: Context) -> str | None:
    """The service the history says made ``url`` (two services can share a host, as on a
    sandbox). Only asked when the URL is ambiguous: sqlite stays off the usual path."""
    from pixup.history import DB_NAME, HistoryUnavailable, Ledger
    from pixup.paths import data_dir

    if not (data_dir(ctx.env) / DB_NAME).is_file():
        return None
    try:
        ledger = Ledger.open(ctx.env)
    except HistoryUnavailable:
        return None
    try:
        rows = ledger.find(url)
    except HistoryUnavailable:
        rows = []
    finally:
        ledger.close()
    return str(rows[0]["service"]) if rows else None


def _matches(
    url: str, candidates: list[Provider], flags: Flags, ctx: Context, config: cfgmod.ConfigFile
) -> list[tuple[Provider, Target]]:
    """The services whose well-known hosts, or configured base URL, the URL is on."""
    host = (urlsplit(url).hostname or "").lower()
    matches: list[tuple[Provider, Target]] = []
    for p in candidates:
        configured = resolve(Flags(service=p.name, endpoint=flags.endpoint), ctx.env, config).target
        if host in p.hosts:
            matches.append((p, replace(configured, base_url=p.default_base_url)))
        elif p.owns_url(url, configured):
            matches.append((p, configured))
    return matches


def _at_origin(
    url: str, provider: Provider, flags: Flags, ctx: Context, config: cfgmod.ConfigFile
) -> tuple[Provider, Target]:
    """--service with a URL on no known host: the URL's own origin is the base."""
    configured = resolve(flags, ctx.env, config).target
    origin = urlsplit(url)._replace(path="", query="", fragment="").geturl()
    return provider, replace(configured, base_url=origin)
