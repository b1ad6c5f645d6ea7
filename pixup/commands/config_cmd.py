"""`pixup config`: read and change the config file (settings only, never secrets).

The key registry (pixup.keys) is imported by the commands that check keys: `config path`
must not load the providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pixup import config as cfgmod
from pixup.context import Context, run_guarded
from pixup.errors import NotSetError
from pixup.output import Output
from pixup.paths import config_path

if TYPE_CHECKING:
    from pixup.settings import Settings


def path(out: Output, ctx: Context) -> int:
    return run_guarded(out, lambda: out.line(str(config_path(ctx.env))))


def get(key: str, out: Output, ctx: Context) -> int:
    def action() -> None:
        from pixup import keys

        keys.spec_for(key)
        cfg = ctx.config()
        value = cfg.get(key)
        if out.json_mode:
            out.json({"ok": True, "key": key, "value": value})
        elif value is None:
            raise NotSetError(f"{key} is not set")
        else:
            out.line(str(value))

    return run_guarded(out, action)


def set_(key: str, value: str, out: Output, ctx: Context) -> int:
    def action() -> None:
        from pixup import keys

        parsed = keys.validate(key, value)
        cfgmod.update(config_path(ctx.env), lambda cfg: cfg.set(key, parsed))
        if out.json_mode:
            out.json({"ok": True, "key": key, "value": parsed})

    return run_guarded(out, action)


def unset(key: str, out: Output, ctx: Context) -> int:
    def action() -> None:
        from pixup import keys

        keys.spec_for(key)
        removed: list[bool] = []
        cfgmod.update(config_path(ctx.env), lambda cfg: removed.append(cfg.unset(key)))
        if out.json_mode:
            out.json({"ok": True, "key": key, "removed": removed[0]})

    return run_guarded(out, action)


def list_(out: Output, ctx: Context, effective: bool = False, service: str | None = None) -> int:
    if effective or service is not None:
        return run_guarded(out, lambda: _effective(out, ctx, service))

    def action() -> None:
        from pixup import keys

        cfg = ctx.config()
        items = dict(cfg.items(keys.key_specs()))
        secrets = _secret_states(ctx)
        if out.json_mode:
            out.json({"ok": True, "path": str(cfg.path), "values": items, "secrets": secrets})
            return
        for key, value in items.items():
            out.line(f"{key} = {value}")
        for name, source in secrets.items():
            state = f"set ({source})" if source in ("env", "keyring") else source
            out.line(f"{name} = <secret: {state or 'unknown, the keyring cannot be read'}>")

    return run_guarded(out, action)


def _secret_states(ctx: Context) -> dict[str, str | None]:
    """Where each built-in provider's secret is set, never its value: "env" (which wins,
    whatever the keyring holds), "keyring" or "unset"; None when only the keyring could
    tell and it cannot be read."""
    from pixup import providers
    from pixup.keystore import KeyringUnavailable

    store = ctx.keystore()
    states: dict[str, str | None] = {}
    for spec in (c for p in providers.builtin() for c in p.credentials):
        if spec.keyring is None or spec.keyring in states:
            continue
        if ctx.env.get(spec.env):
            states[spec.keyring] = "env"
            continue
        try:
            states[spec.keyring] = "keyring" if store.get(spec.keyring) else "unset"
        except KeyringUnavailable:
            states[spec.keyring] = None
    return states


def _effective(out: Output, ctx: Context, service: str | None) -> None:
    """Every setting in effect for ``service`` (by default the one uploads go to) and where
    it comes from, then its credentials: secrets as set (where) or missing, never a value."""
    from pixup.settings import Flags, resolve

    settings = resolve(Flags(service=service), ctx.env, ctx.config())
    creds = _credential_states(settings, ctx)
    if out.json_mode:
        values = {k: {"value": v, "source": src} for k, (v, src) in settings.effective.items()}
        out.json(
            {
                "ok": True,
                "service": settings.service,
                "api": settings.target.api,
                "values": values,
                "credentials": creds,
            }
        )
        return
    width = max(len(k) for k in [*settings.effective, *creds])
    for key, (value, source) in settings.effective.items():
        out.line(f"{key:<{width}} = {_shown_value(key, value)}  ({_source(source, key)})")
    for name, info in creds.items():
        out.line(f"{name:<{width}} = {_credential(info)}")


def _credential_states(settings: Settings, ctx: Context) -> dict[str, dict[str, Any]]:
    """The service's credentials at its API, by where they are kept: secret or not, where
    each was found ("missing"; None when only the unreadable keyring could tell), and the
    value of those that are not secret."""
    from pixup import credentials as credmod

    specs = settings.provider.required_credentials(settings.target.api, False)
    found = credmod.lookup(specs, ctx.env, ctx.config(), ctx.keystore())
    unknown = found.keyring_error is not None
    return {
        c.store: {
            "secret": c.secret,
            "source": found.sources.get(c.name) or (None if unknown and c.secret else "missing"),
            **({} if c.secret else {"value": found.credentials.values.get(c.name)}),
        }
        for c in specs
    }


def _shown_value(key: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    if key.endswith("max_size") and isinstance(value, int):
        from pixup.values import iec_size

        return iec_size(value)
    return str(value)


def _source(source: str, key: str) -> str:
    if source == "env":
        from pixup import keys

        return f"env {keys.spec_for(key).env}"
    return source


def _credential(info: dict[str, Any]) -> str:
    source = info["source"]
    if source is None:
        state = "unknown, the keyring cannot be read"
    elif source == "missing":
        state = "missing"
    else:
        state = f"set ({source})"
    if info["secret"]:
        return f"<secret: {state}>"
    return f"{info['value']}  ({source})" if source != "missing" else "<missing>"
