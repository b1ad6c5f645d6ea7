"""`pixup config login`, `logout` and `status`: put credentials in the keyring once.

login runs OAuth 1.0a's PIN (out-of-band) flow against a Twitter-compatible provider, or
stores tokens obtained elsewhere, checks them against verify_credentials, and only then
stores the secrets in the keyring (never in a file: if the keyring cannot take them,
nothing is stored). Each OAuth step is signed with pixup.oauth_echo.sign and sent through
pixup.transport, so it follows no redirect and reads a capped answer like every request.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode

from pixup import config as cfgmod
from pixup import credentials as credmod
from pixup import providers, transport
from pixup.context import Context, Prompter
from pixup.errors import AuthError, PixupError, UsageError, error_for_status
from pixup.keystore import KeyringUnavailable, KeyStore
from pixup.models import RawResponse, RequestSpec
from pixup.oauth_echo import sign
from pixup.output import Output
from pixup.paths import config_path
from pixup.providers import decode
from pixup.security import allowed_by_env, check_plain_http
from pixup.settings import Flags, Settings, resolve

# Which secret --*-stdin names, by the CredentialSpec it fills.
STDIN_CHOICES = {
    "consumer-secret": "consumer_secret",
    "token-secret": "token_secret",
    "api-key": "api_key",
    "password": "password",
}


@dataclass(frozen=True)
class LoginOptions:
    service: str | None = None
    api: int | None = None
    consumer_key: str | None = None
    token: str | None = None
    username: str | None = None
    stdin_secret: str | None = None  # a key of STDIN_CHOICES
    browser: bool = True


class _Input:
    """Values the user gives: one secret from the first line of stdin when asked for,
    the rest at the terminal (hidden for secrets); the PIN may also come from stdin."""

    def __init__(
        self, opts: LoginOptions, stdin: IO[str], prompt: Prompter, env: Mapping[str, str]
    ) -> None:
        self.stdin = stdin
        self.display = _has_display(env)
        self.prompt = prompt
        self.interactive = prompt.available
        self.stdin_field = STDIN_CHOICES.get(opts.stdin_secret or "")
        self.stdin_value: str | None = None
        if self.stdin_field is not None:
            line = stdin.readline().rstrip("\r\n")
            if not line:
                raise UsageError(f"--{opts.stdin_secret}-stdin: standard input was empty")
            self.stdin_value = line

    def from_stdin(self, field: str) -> str | None:
        return self.stdin_value if field == self.stdin_field else None

    def ask(self, spec: credmod.CredentialSpec) -> str:
        if self.interactive:
            value = self.prompt.text(spec.label, secret=spec.secret)
            if value:
                return value
        how = f"set {spec.env}" + (
            f" or pass --{_stdin_option(spec.name)}-stdin" if _stdin_option(spec.name) else ""
        )
        raise AuthError(f"{spec.label} is needed to log in: {how}")

    def pin(self, out: Output) -> str:
        if self.interactive:
            value = self.prompt.text("PIN")
        else:
            out.info("Reading the PIN from standard input...")
            value = self.stdin.readline()
        value = value.strip()
        if not value:
            raise AuthError("no PIN was given; the login was not completed")
        return value


def _stdin_option(field: str) -> str | None:
    return next((opt for opt, f in STDIN_CHOICES.items() if f == field), None)


def _pick(
    field: str,
    inp: _Input,
    ctx: Context,
    cfg: cfgmod.ConfigFile,
    flag: str | None = None,
    store: KeyStore | None = None,
) -> str:
    """One login value: flag > stdin > environment > config file (the values that are not
    secret) or keyring (``store``: keep a secret already stored) > prompt."""
    spec = credmod.SPECS[field]
    value = flag or inp.from_stdin(field) or ctx.env.get(spec.env) or None
    if value is None and spec.config:
        raw = cfg.get(spec.config)
        value = str(raw) if raw else None
    if value is None and store is not None and spec.keyring:
        value = _existing(store, spec.keyring)
    return value or inp.ask(spec)


def login(opts: LoginOptions, out: Output, ctx: Context, stdin: IO[str] | None = None) -> int:
    try:
        _login(opts, out, ctx, stdin or ctx.stdin)
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            out.json({"ok": False, "service": opts.service, "error": err.to_json()})
        return err.exit_code
    return 0


def _login(opts: LoginOptions, out: Output, ctx: Context, stdin: IO[str]) -> None:
    store = KeyStore(ctx.env)
    if not store.enabled:
        raise UsageError(
            "login stores secrets in the system keyring, which is turned off "
            "(--no-keyring or PIXUP_NO_KEYRING); use the PIXUP_* environment variables instead"
        )
    backend = store.backend_name()
    store.get("oauth.token")  # fails now, before any question, if the keyring is unusable
    path = config_path(ctx.env)
    cfg = cfgmod.load(path)
    settings = resolve(Flags(service=opts.service, api=opts.api), ctx.env, cfg)
    for url in (settings.target.verify_url, *settings.oauth_urls.values()):
        check_plain_http(url, (), allowed_by_env(ctx.env))
    inp = _Input(opts, stdin, ctx.prompt, ctx.env)
    secrets: dict[str, str] = {}
    settings_to_write: dict[str, str] = {}
    who: str | None = None

    # Without --service only the OAuth tokens are stored: they serve both services.
    chosen = settings.provider.name if opts.service else None
    if chosen == "imgly" and settings.target.api == 1:
        username = _pick("username", inp, ctx, cfg, flag=opts.username)
        password = _pick("password", inp, ctx, cfg)
        out.add_secrets([password])
        secrets["imgly.password"] = password
        settings_to_write["imgly.username"] = username
        who = username
        out.info("img.ly API 1 cannot check a password without uploading; stored as given.")
    else:
        consumer_key = _pick("consumer_key", inp, ctx, cfg, flag=opts.consumer_key)
        consumer_secret = _pick("consumer_secret", inp, ctx, cfg, store=store)
        out.add_secrets([consumer_secret])
        if opts.token or ctx.env.get("PIXUP_OAUTH_TOKEN"):
            token = _pick("token", inp, ctx, cfg, flag=opts.token)
            token_secret = _pick("token_secret", inp, ctx, cfg)
        else:
            token, token_secret = _pin_flow(settings, consumer_key, consumer_secret, inp, out, opts)
        out.add_secrets([token, token_secret])
        who = verify(settings, consumer_key, consumer_secret, token, token_secret, out)
        secrets.update(
            {
                "oauth.consumer_secret": consumer_secret,
                "oauth.token": token,
                "oauth.token_secret": token_secret,
            }
        )
        settings_to_write["oauth.consumer_key"] = consumer_key
        if chosen == "twitrpix":
            api_key = _pick("api_key", inp, ctx, cfg)
            out.add_secrets([api_key])
            secrets["twitrpix.api_key"] = api_key

    store.set_all(secrets)

    def write(c: cfgmod.ConfigFile) -> None:
        for key, value in settings_to_write.items():
            c.set(key, value)

    cfgmod.update(path, write)
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "service": chosen,
                "api": settings.target.api if chosen else None,
                "user": who,
                "stored": sorted(secrets),
                "keyring": backend,
            }
        )
    else:
        out.line(f"Logged in to {settings.provider.title if chosen else 'Twitter'} as {who}")
        out.info(f"Stored {', '.join(sorted(secrets))} in the keyring ({backend}).")


def _existing(store: KeyStore, name: str) -> str | None:
    try:
        return store.get(name)
    except KeyringUnavailable:
        return None


def _send_signed(
    settings: Settings, method: str, url: str, authorization: str, out: Output
) -> RawResponse:
    """One OAuth-signed request, through the transport every request uses."""
    spec = RequestSpec(
        method=method,
        url=url,
        headers={"Authorization": authorization},
        secret_headers=frozenset({"Authorization"}),
    )
    with transport.open_session() as session:
        return transport.send(session, spec, settings.timeout, out.debug)


def _oauth_post(
    settings: Settings, url: str, authorization: str, what: str, out: Output
) -> dict[str, str]:
    resp = _send_signed(settings, "POST", url, authorization, out)
    if resp.status in (400, 401, 403):
        raise AuthError(
            f"the OAuth provider refused the {what} (HTTP {resp.status}): {decode.body_snippet(resp)}",
            http_status=resp.status,
        )
    if resp.status != 200:
        raise error_for_status(
            resp.status, f"the OAuth provider answered HTTP {resp.status} to the {what}"
        )
    values = dict(parse_qsl(resp.body.decode("utf-8", "replace")))
    if not values.get("oauth_token") or not values.get("oauth_token_secret"):
        raise AuthError(f"the OAuth provider's answer to the {what} has no token")
    return values


def _pin_flow(
    settings: Settings,
    consumer_key: str,
    consumer_secret: str,
    inp: _Input,
    out: Output,
    opts: LoginOptions,
) -> tuple[str, str]:
    urls = settings.oauth_urls
    request = _oauth_post(
        settings,
        urls["request_token_url"],
        sign(
            "POST",
            urls["request_token_url"],
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            token=None,
            token_secret=None,
            callback="oob",
        ),
        "request for a request token (check the consumer key and secret)",
        out,
    )
    authorize = f"{urls['authorize_url']}?{urlencode({'oauth_token': request['oauth_token']})}"
    out.info("Open this page, authorize pixup, and enter the PIN it shows:")
    # The URL is the one thing a script needs from this step: it goes to stdout.
    out.line(authorize)
    if opts.browser and inp.interactive and inp.display:
        import webbrowser

        webbrowser.open(authorize)
    pin = inp.pin(out)
    access = _oauth_post(
        settings,
        urls["access_token_url"],
        sign(
            "POST",
            urls["access_token_url"],
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            token=request["oauth_token"],
            token_secret=request["oauth_token_secret"],
            verifier=pin,
        ),
        "PIN",
        out,
    )
    return access["oauth_token"], access["oauth_token_secret"]


def _has_display(env: Mapping[str, str]) -> bool:
    # Without a display webbrowser may start a text browser in this very terminal.
    return sys.platform in ("darwin", "win32") or bool(
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    )


def verify(
    settings: Settings,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    out: Output,
) -> str:
    """The screen name the tokens belong to, from the verify-credentials URL."""
    url = settings.target.verify_url
    authorization = sign(
        "GET",
        url,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        token=token,
        token_secret=token_secret,
    )
    resp = _send_signed(settings, "GET", url, authorization, out)
    if resp.status in (401, 403):
        raise AuthError(
            f"the OAuth provider did not accept the access token (HTTP {resp.status}); nothing was stored",
            http_status=resp.status,
        )
    if resp.status != 200:
        raise error_for_status(
            resp.status, f"verify_credentials answered HTTP {resp.status}; nothing was stored"
        )
    doc = decode.load(resp, "json")
    name = decode.scalar(doc.get("screen_name"))
    return f"@{name}" if name else "(unknown user)"


# --- logout and status ------------------------------------------------------------------

LOGOUT = {
    None: (
        [
            "twitrpix.api_key",
            "oauth.consumer_secret",
            "oauth.token",
            "oauth.token_secret",
            "imgly.password",
        ],
        ["oauth.consumer_key", "imgly.username"],
    ),
    "twitrpix": (["twitrpix.api_key"], []),
    "imgly": (["imgly.password"], ["imgly.username"]),
}


def logout(service: str | None, out: Output, ctx: Context) -> int:
    try:
        name = providers.get(service).name if service else None
        secret_names, config_keys = LOGOUT[name]
        store = KeyStore(ctx.env)
        removed = [n for n in secret_names if store.delete(n)]
        path = config_path(ctx.env)
        if any(cfgmod.load(path).get(k) is not None for k in config_keys):

            def drop(c: cfgmod.ConfigFile) -> None:
                for key in config_keys:
                    c.unset(key)

            cfgmod.update(path, drop)
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            out.json({"ok": False, "error": err.to_json()})
        return err.exit_code
    if out.json_mode:
        out.json({"ok": True, "removed": removed, "config_removed": config_keys})
    else:
        out.line(f"Removed {', '.join(removed) or 'nothing'} from the keyring.")
        if name is not None:
            out.info("The OAuth tokens serve both services; `pixup config logout` removes them.")
    return 0


def status(out: Output, ctx: Context) -> int:
    try:
        report = _status(ctx)
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            out.json({"ok": False, "error": err.to_json()})
        return err.exit_code
    if out.json_mode:
        out.json(report)
        return 0
    ring = report["keyring"]
    out.line(
        f"keyring: {ring['backend'] or '-'}: "
        + ("works" if ring["works"] else f"not usable ({ring['error']})")
    )
    for name, svc in report["services"].items():
        for api, info in svc["apis"].items():
            state = "ready" if info["ready"] else "missing " + ", ".join(info["missing"])
            if len(svc["apis"]) == 1:  # a custom provider: it has no API versions
                out.line(f"{name}: {state}")
            else:
                default = " (default)" if str(svc["default_api"]) == api else ""
                out.line(f"{name} API {api}{default}: {state}")
            for cred, where in info["credentials"].items():
                out.line(f"  {cred:<16} {where['source'] or 'not set'}")
    return 0


def _status(ctx: Context) -> dict[str, Any]:
    cfg = ctx.config()
    store = KeyStore(ctx.env)
    ring: dict[str, Any] = {
        "enabled": store.enabled,
        "backend": None,
        "works": False,
        "error": None,
    }
    if store.enabled:
        try:
            ring["backend"] = store.backend_name()
            store.get("oauth.token")
            ring["works"] = True
        except KeyringUnavailable as exc:
            ring["error"] = exc.message
    else:
        ring["error"] = "turned off (--no-keyring or PIXUP_NO_KEYRING)"
    services: dict[str, Any] = {}
    for p in providers.all_providers():
        default_api = resolve(Flags(service=p.name), ctx.env, cfg).target.api
        apis: dict[str, Any] = {}
        for api in p.apis:
            names = p.required_credentials(api, False)
            found = credmod.lookup(names, ctx.env, cfg, store)
            apis[str(api)] = {
                "ready": not found.missing,
                "missing": found.missing,
                "credentials": {
                    n: {"present": n in found.sources, "source": found.sources.get(n)}
                    for n in names
                },
            }
        services[p.name] = {"default_api": default_api, "apis": apis}
    return {"ok": True, "config": str(cfg.path), "keyring": ring, "services": services}
