"""`pixup config`: read and change the config file (settings only, never secrets).

The key registry (pixup.keys) is imported by the commands that check keys: `config path`
must not load the providers."""

from __future__ import annotations

from pixup import config as cfgmod
from pixup.context import Context, run_guarded
from pixup.errors import NotSetError
from pixup.output import Output
from pixup.paths import config_path


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


def list_(out: Output, ctx: Context) -> int:
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
