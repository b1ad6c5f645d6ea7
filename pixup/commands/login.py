"""`pixup config login`, `logout` and `status`, driven by what providers declare.

login runs the provider's login steps (pixup.specs: values asked for, OAuth 1.0a PIN,
OAuth 2 PIN), checks what can be checked, and only once every step has succeeded stores
the secrets in the keyring (never in a file: if the keyring cannot take them, nothing is
stored) and the values that are not secret in the config file. Without --service it runs
the steps the built-in providers share. No provider is named here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pixup import config as cfgmod
from pixup import credentials as credmod
from pixup import providers
from pixup.auth.session import Inputs, LoginSession, Obtained
from pixup.context import Context, run_guarded
from pixup.errors import ExitStatus, UsageError
from pixup.output import Output
from pixup.paths import config_path
from pixup.providers.base import Provider
from pixup.security import allowed_by_env, check_plain_http
from pixup.settings import Flags, Settings, resolve
from pixup.specs import AskValues, CredentialSpec, LoginStep, OAuth1Pin, OAuth2Pin


@dataclass(frozen=True)
class LoginOptions:
    service: str | None = None
    api: int | None = None
    values: Mapping[str, str] = field(default_factory=dict)  # credential name -> flag value
    stdin_secret: str | None = None  # the credential named by the one --…-stdin option
    account: bool = False
    browser: bool = True


def _ask_values(step: AskValues, session: LoginSession) -> Obtained:
    values = {spec: session.inputs.pick(spec) for spec in step.values}
    session.out.add_secrets(v for s, v in values.items() if s.secret)
    if step.verify is not None and step.who is not None:
        from pixup.auth import basic

        secret = next(v for s, v in values.items() if s.secret)
        basic.verify(step.verify, session, values[step.who], secret, step.title)
    if step.note:
        session.out.info(step.note)
    return Obtained(values, values.get(step.who) if step.who else None)


def _oauth1(step: LoginStep, session: LoginSession) -> Obtained:
    from pixup.auth import oauth1

    assert isinstance(step, OAuth1Pin)
    return oauth1.login(step, session)


def _oauth2(step: LoginStep, session: LoginSession) -> Obtained:
    from pixup.auth import oauth2

    assert isinstance(step, OAuth2Pin)
    return oauth2.login(step, session)


FLOWS: dict[type[LoginStep], Callable[[Any, LoginSession], Obtained]] = {
    AskValues: _ask_values,
    OAuth1Pin: _oauth1,
    OAuth2Pin: _oauth2,
}


def login(opts: LoginOptions, out: Output, ctx: Context) -> int:
    def failed(err: Any) -> dict[str, Any]:
        return {"ok": False, "service": opts.service, "error": err.to_json()}

    return run_guarded(out, lambda: _login(opts, out, ctx), failed)


def _steps(opts: LoginOptions, provider: Provider, api: int) -> tuple[LoginStep, ...]:
    if opts.service:
        steps = provider.login_steps(api, opts.account)
        if not steps:
            raise UsageError(f"{provider.name} needs no login")
        return steps
    # Without --service: what the built-in providers share (the OAuth account).
    shared = (s for p in providers.builtin() for s in p.every_login_step() if s.shared)
    return tuple(dict.fromkeys(shared))


def _keyring_backend(ctx: Context, steps: tuple[LoginStep, ...]) -> str:
    """The keyring's name; an error now, before any question, if it cannot be used."""
    store = ctx.keystore()
    if not store.enabled:
        raise UsageError(
            "login stores secrets in the system keyring, which is turned off "
            "(--no-keyring or PIXUP_NO_KEYRING); use the PIXUP_* environment variables instead"
        )
    backend = store.backend_name()
    specs = [c for s in steps for c in s.credentials]
    store.get(next((c.store for c in specs if c.secret), "probe"))
    return backend


def _check_endpoints(settings: Settings, steps: tuple[LoginStep, ...], ctx: Context) -> None:
    """No credential travels over plain http to a host the user did not allow."""
    allowed = allowed_by_env(ctx.env)
    for url in settings.target.options.values():
        check_plain_http(str(url), (), allowed)
    if any(isinstance(s, OAuth2Pin) for s in steps):
        check_plain_http(settings.target.base_url, settings.provider.hosts, allowed)


def _login(opts: LoginOptions, out: Output, ctx: Context) -> None:
    settings = resolve(Flags(service=opts.service, api=opts.api), ctx.env, ctx.config())
    provider = settings.provider
    steps = _steps(opts, provider, settings.target.api)
    backend = _keyring_backend(ctx, steps)
    _check_endpoints(settings, steps, ctx)
    by_name = {c.name: c for c in providers.login_credentials()}
    inputs = Inputs(ctx, opts.values, by_name.get(opts.stdin_secret or ""))
    session = LoginSession(settings, inputs, out, ctx.env, browser=opts.browser)
    found = [FLOWS[type(step)](step, session) for step in steps]
    secrets = store_values(ctx, {spec: v for f in found for spec, v in f.values.items()})
    who = next((f.who for f in found if f.who), None)
    _say_logged_in(out, opts, settings, steps, who, secrets, backend)
    _say_sources(out, inputs.sources)


def _say_sources(out: Output, sources: dict[str, str]) -> None:
    """Where each value came from: a shell may still hold values nobody meant to store."""
    if out.json_mode or not sources:
        return
    out.info("Values used: " + ", ".join(f"{n} ({s})" for n, s in sources.items()) + ".")


def _say_logged_in(
    out: Output,
    opts: LoginOptions,
    settings: Settings,
    steps: tuple[LoginStep, ...],
    who: str | None,
    secrets: list[str],
    backend: str,
) -> None:
    provider = settings.provider
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "service": provider.name if opts.service else None,
                "api": settings.target.api if opts.service else None,
                "user": who,
                "stored": sorted(secrets),
                "keyring": backend,
            }
        )
    else:
        title = provider.title if opts.service else steps[0].title
        out.line(f"Logged in to {title} as {who}")
        from pixup.keystore import backend_title

        out.info(f"Stored {', '.join(sorted(secrets))} in the keyring ({backend_title(backend)}).")


def store_values(ctx: Context, values: Mapping[CredentialSpec, str]) -> list[str]:
    """Secrets into the keyring (all or nothing), then the other values into the config
    file; the names of the keyring entries written."""
    secrets = {c.store: v for c, v in values.items() if c.secret}
    settings_to_write = {c.store: v for c, v in values.items() if not c.secret}
    ctx.keystore().set_all(secrets)
    if settings_to_write:

        def write(c: cfgmod.ConfigFile) -> None:
            for key, value in settings_to_write.items():
                c.set(key, value)

        cfgmod.update(config_path(ctx.env), write)
        ctx.reload_config()
    return list(secrets)


# --- logout and status ------------------------------------------------------------------


def _forget(ctx: Context, specs: Iterable[CredentialSpec]) -> tuple[list[str], list[str]]:
    store = ctx.keystore()
    chosen = list(dict.fromkeys(specs))
    removed = [c.store for c in chosen if c.secret and store.delete(c.store)]
    config_keys = [c.store for c in chosen if not c.secret]
    if any(ctx.config().get(k) is not None for k in config_keys):

        def drop(c: cfgmod.ConfigFile) -> None:
            for key in config_keys:
                c.unset(key)

        cfgmod.update(config_path(ctx.env), drop)
    return removed, config_keys


def logout(service: str | None, out: Output, ctx: Context) -> int:
    def action() -> None:
        provider = providers.get(service) if service else None
        if provider is None:
            specs = [c for p in providers.builtin() for c in p.credentials]
        else:
            specs = list(provider.own_credentials())
        removed, config_keys = _forget(ctx, specs)
        if out.json_mode:
            out.json({"ok": True, "removed": removed, "config_removed": config_keys})
            return
        out.line(f"Removed {', '.join(removed) or 'nothing'} from the keyring.")
        shared = [s for s in provider.every_login_step() if s.shared] if provider else []
        for step in shared:
            out.info(
                f"The {step.title} credentials serve several services; "
                "`pixup config logout` removes them."
            )

    return run_guarded(out, action)


def status(out: Output, ctx: Context) -> int:
    """Every service's credentials; exit 3 when the service uploads would go to (the
    config's or PIXUP_SERVICE, at its API) is missing one, so scripts can check first."""

    def action() -> int:
        report = _status(ctx)
        chosen = report["chosen"]
        if out.json_mode:
            out.json(report)
        else:
            _print_status(out, report)
        if chosen["ready"]:
            return 0
        out.error(
            f"{chosen['service']} API {chosen['api']}, where uploads go, is missing "
            f"{', '.join(chosen['missing'])}: run `pixup config login --service "
            f"{chosen['service']}`, or set them in the environment"
        )
        return int(ExitStatus.AUTH)

    return run_guarded(out, action)


def _print_status(out: Output, report: dict[str, Any]) -> None:
    from pixup.keystore import backend_title

    ring = report["keyring"]
    out.line(
        f"keyring: {backend_title(ring['backend']) if ring['backend'] else '-'}: "
        + ("works" if ring["works"] else f"not usable ({ring['error']})")
    )
    for name, svc in report["services"].items():
        for api, info in svc["apis"].items():
            state = "ready" if info["ready"] else "missing " + ", ".join(info["missing"])
            if len(svc["apis"]) == 1:  # one API: no version to tell apart
                out.line(f"{name}: {state}")
            else:
                default = " (default)" if str(svc["default_api"]) == api else ""
                out.line(f"{name} API {api}{default}: {state}")
            for cred, where in info["credentials"].items():
                out.line(f"  {cred:<16} {where['source'] or 'not set'}")


def _keyring_report(ctx: Context) -> dict[str, Any]:
    from pixup.keystore import KeyringUnavailable

    store = ctx.keystore()
    ring: dict[str, Any] = {
        "enabled": store.enabled,
        "backend": None,
        "works": False,
        "error": None,
    }
    if not store.enabled:
        ring["error"] = "turned off (--no-keyring or PIXUP_NO_KEYRING)"
        return ring
    try:
        ring["backend"] = store.backend_name()
        store.get("probe")
        ring["works"] = True
    except KeyringUnavailable as exc:
        ring["error"] = exc.message
    return ring


def _status(ctx: Context) -> dict[str, Any]:
    cfg, store = ctx.config(), ctx.keystore()
    ring = _keyring_report(ctx)
    services: dict[str, Any] = {}
    missing: dict[tuple[str, int], list[str]] = {}
    for p in providers.all_providers():
        apis: dict[str, Any] = {}
        for api in p.apis:
            specs = p.required_credentials(api, False)
            found = credmod.lookup(specs, ctx.env, cfg, store)
            missing[(p.name, api)] = [f"{c.label} ({c.env})" for c in found.missing]
            apis[str(api)] = {
                "ready": not found.missing,
                "missing": [c.name for c in found.missing],
                "credentials": {
                    c.name: {
                        "present": c.name in found.sources,
                        "source": found.sources.get(c.name),
                    }
                    for c in specs
                },
            }
        default_api = resolve(Flags(service=p.name), ctx.env, cfg).target.api
        services[p.name] = {"default_api": default_api, "apis": apis}
    target = resolve(Flags(), ctx.env, cfg)
    found = services[target.service]["apis"][str(target.target.api)]
    chosen = {
        "service": target.service,
        "api": target.target.api,
        "ready": found["ready"],
        "missing": missing[(target.service, target.target.api)],
    }
    return {
        "ok": chosen["ready"],
        "config": str(cfg.path),
        "keyring": ring,
        "chosen": chosen,
        "services": services,
    }
