"""`pixup provider`: import ShareX custom uploaders and pixup provider files, list, show,
export and remove them, set their secrets, and test their answer templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pixup import config as cfgmod
from pixup import providers
from pixup.context import Context, run_guarded
from pixup.errors import ConfigError, UsageError
from pixup.output import Output
from pixup.paths import providers_dir
from pixup.providers.custom import CustomProvider, Definition, from_toml, read_provider_file
from pixup.values import env_prefix

if TYPE_CHECKING:
    from pixup.models import RawResponse

HEADER = "# A pixup provider (see `pixup provider show {name}` and the README).\n"


def _path(name: str, ctx: Context) -> Path:
    return providers_dir(ctx.env) / f"{name}.toml"


def _dump(definition: Definition) -> str:
    import tomli_w

    return HEADER.format(name=definition.name) + tomli_w.dumps(definition.to_toml())


def _custom(name: str) -> CustomProvider:
    provider = providers.get(name)
    if not isinstance(provider, CustomProvider):
        raise UsageError(f"{provider.name} is built into pixup; it has no provider file")
    return provider


def add(file: Path, name: str | None, force: bool, out: Output, ctx: Context) -> int:
    def action() -> None:
        from pixup.keystore import KeyStore
        from pixup.providers import sxcu

        try:
            raw = read_provider_file(file)
        except ConfigError as exc:
            raise UsageError(f"{file}: {exc.message}") from None
        if file.suffix.lower() == ".toml":
            imported = _native(raw, file, name)
        else:
            imported = sxcu.convert(raw, file.name, name)
        definition = imported.definition
        CustomProvider(definition)  # every template checked before anything is written
        target = _path(definition.name, ctx)
        if definition.name in providers.BUILTIN:
            raise UsageError(f"{definition.name} is a built-in provider; pass --name")
        if target.exists() and not force:
            raise UsageError(
                f"a provider named {definition.name} exists ({target}); --force replaces it"
            )
        store = KeyStore(ctx.env)
        moved = {f"{definition.name}.{k}": v for k, v in imported.secrets.items()}
        out.add_secrets(imported.secrets.values())
        if moved and store.enabled:
            store.set_all(moved)  # before the file: a keyring failure leaves nothing behind
        cfgmod.write_private(target, _dump(definition).encode("utf-8"))
        secrets = sorted(imported.secrets)
        env_names = [f"{env_prefix(definition.name)}_{s.upper()}" for s in secrets]
        if out.json_mode:
            out.json(
                {
                    "ok": True,
                    "provider": definition.name,
                    "path": str(target),
                    "secrets": secrets,
                    "secrets_stored": bool(moved) and store.enabled,
                    "notes": imported.notes,
                }
            )
        else:
            out.info(
                f"added provider {definition.name} ({definition.method} {definition.url}, "
                f"{definition.body} body); upload with: pixup upload -s {definition.name} FILE"
            )
        for note in imported.notes:
            out.warn(note)
        if moved and store.enabled:
            out.warn(
                f"moved {len(secrets)} secret(s) from {file.name} into the keyring: "
                f"{', '.join(f'{s} ({definition.secrets[s]})' for s in secrets)}; "
                f"the provider file refers to them as {{secret:NAME}}"
            )
        elif moved:
            out.warn(
                f"{file.name} holds {len(secrets)} secret(s), and the keyring is turned off, "
                f"so they were not stored: set {', '.join(env_names)} in the environment"
            )

    return run_guarded(out, action)


def _native(raw: bytes, file: Path, name: str | None) -> Any:
    import tomllib

    from pixup.errors import ConfigError
    from pixup.providers.sxcu import Imported

    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{file.name} is not a valid TOML provider file: {exc}") from None
    except RecursionError:
        raise ConfigError(
            f"{file.name} is not a valid TOML provider file: nested too deeply"
        ) from None
    try:
        return Imported(definition=from_toml(name or file.stem, doc))
    except ConfigError as exc:
        raise ConfigError(f"{file.name}: {exc.message}") from None


def list_(out: Output, ctx: Context) -> int:
    def action() -> None:
        rows: list[dict[str, Any]] = []
        for p in providers.all_providers():
            custom = isinstance(p, CustomProvider)
            rows.append(
                {
                    "name": p.name,
                    "title": p.title,
                    "builtin": not custom,
                    "path": str(_path(p.name, ctx)) if custom else None,
                    "error": None,
                }
            )
        for name, why in providers.broken().items():
            rows.append({"name": name, "title": None, "builtin": False, "path": None, "error": why})
        if out.json_mode:
            out.json({"ok": True, "providers": rows})
            return
        for row in rows:
            kind = "built-in" if row["builtin"] else "custom"
            detail = (row["error"] and f"BROKEN: {row['error']}") or row["title"]
            out.line(f"{row['name']:<16} {kind:<9} {detail}")

    return run_guarded(out, action)


def show(name: str, out: Output, ctx: Context) -> int:
    def action() -> None:
        provider = _custom(name)
        definition = provider.definition
        status = _secret_status(provider, ctx)
        if out.json_mode:
            out.json(
                {
                    "ok": True,
                    "provider": provider.name,
                    "path": str(_path(provider.name, ctx)),
                    "definition": definition.to_toml(),
                    "secrets": status,
                }
            )
            return
        out.line(f"# {_path(provider.name, ctx)}")
        out.line(_dump(definition).rstrip("\n"))
        for secret, source in status.items():
            where = source or (
                f"not set: run `pixup provider secret {provider.name} {secret}` or set "
                f"{env_prefix(provider.name)}_{secret.upper()}"
            )
            out.line(f"# secret {secret}: {where}")

    return run_guarded(out, action)


def _secret_status(provider: CustomProvider, ctx: Context) -> dict[str, str | None]:
    from pixup import credentials

    found = credentials.lookup(provider.credentials, ctx.env, ctx.config(), ctx.keystore())
    return {s: found.sources.get(s) for s in provider.definition.secrets}


def export(name: str, dest: Path | None, out: Output, ctx: Context) -> int:
    def action() -> None:
        text = _dump(_custom(name).definition)
        if dest is None:
            out.line(text.rstrip("\n"))
        else:
            cfgmod.write_private(dest, text.encode("utf-8"))
            out.info(f"wrote {dest}")

    return run_guarded(out, action)


def remove(name: str, out: Output, ctx: Context) -> int:
    def action() -> None:
        from pixup.keystore import KeyringUnavailable, KeyStore

        if name.lower() in providers.broken():
            # A file that does not load can still be removed (its secrets are unknown).
            _unlink(_path(name.lower(), ctx))
            out.info(f"removed the broken provider file of {name.lower()}")
            return
        provider = _custom(name)
        _unlink(_path(provider.name, ctx))
        store = KeyStore(ctx.env)
        removed: list[str] = []
        if store.enabled:
            try:
                for secret in provider.definition.secrets:
                    if store.delete(provider.credential_name(secret)):
                        removed.append(secret)
            except KeyringUnavailable as exc:
                out.warn(f"the provider's secrets stay in the keyring: {exc.message}")
        if out.json_mode:
            out.json({"ok": True, "provider": provider.name, "secrets_removed": removed})
        else:
            out.info(f"removed provider {provider.name} and {len(removed)} secret(s)")

    return run_guarded(out, action)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError as exc:
        raise UsageError(f"cannot remove {path}: {exc.strerror}") from None


def set_secret(
    name: str, secret: str, out: Output, ctx: Context, stdin: IO[str] | None = None
) -> int:
    def action() -> None:
        from pixup.keystore import KeyStore

        provider = _custom(name)
        if secret not in provider.definition.secrets:
            declared = ", ".join(provider.definition.secrets) or "none"
            raise UsageError(f"{provider.name} has no secret {secret!r} (it has: {declared})")
        store = KeyStore(ctx.env)
        if not store.enabled:
            raise UsageError(
                "the keyring is turned off (--no-keyring or PIXUP_NO_KEYRING); set "
                f"{env_prefix(provider.name)}_{secret.upper()} instead"
            )
        if ctx.prompt.available:
            value = ctx.prompt.text(f"{provider.name} {secret}", secret=True)
        else:
            value = (stdin or ctx.stdin).readline()
        value = value.strip()
        if not value:
            raise UsageError("no value given (type it at the prompt, or pipe it on stdin)")
        out.add_secrets([value])  # before the keyring, whose errors may quote it
        store.set_all({provider.credential_name(secret): value})
        if out.json_mode:
            out.json({"ok": True, "provider": provider.name, "secret": secret})
        else:
            out.info(f"stored {provider.name} {secret} in the keyring")

    return run_guarded(out, action)


# --- provider test: a provider's answer templates against a saved answer ----------------


def test(name: str, opts: TestOptions, out: Output, ctx: Context) -> int:
    """Evaluate ``name``'s URL, ThumbnailURL, DeletionURL and ErrorMessage against a saved
    answer, sending nothing; then say what an upload given that answer would conclude.
    Exit 0 when it would succeed, else that upload's exit code."""
    result: list[int] = []

    def action() -> None:
        provider = _custom(name)
        resp = _saved_answer(provider, opts)
        rows = _evaluated(provider, resp)
        verdict, status = _verdict(provider, resp)
        result.append(status)
        if out.json_mode:
            out.json({"ok": status == 0, "provider": provider.name, "templates": rows, **verdict})
            return
        width = max(len(r["name"]) for r in rows)
        for row in rows:
            out.line(f"{row['name']:<{width}}  {_yielded(row)}")
        out.line(f"an upload given this answer: {verdict['upload']}")

    code = run_guarded(out, action)
    return code if code or not result else result[0]


def show_request(name: str, image: Path, out: Output, ctx: Context) -> int:
    """The request ``name`` would send for ``image``: what `upload --dry-run` prints."""

    def check() -> None:
        _custom(name)  # a custom provider's own request, not a built-in's

    code = run_guarded(out, check)
    if code:
        return code
    from pixup.commands import upload
    from pixup.models import UploadOptions
    from pixup.settings import Flags

    batch = upload.Batch(dry_run=True, history=False)
    return upload.run([image], Flags(service=name), UploadOptions(), out, ctx, batch)


@dataclass(frozen=True)
class TestOptions:
    response: Path
    status: int = 200
    headers: tuple[str, ...] = ()
    url: str | None = None  # the request's URL, for {responseurl}; default RequestURL


def _saved_answer(provider: CustomProvider, opts: TestOptions) -> RawResponse:
    from pixup.models import RawResponse
    from pixup.transport import MAX_ANSWER_BYTES

    try:
        with open(opts.response, "rb") as fh:
            body = fh.read(MAX_ANSWER_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {opts.response}: {exc.strerror}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise UsageError(f"{opts.response} is larger than an answer pixup reads (1 MB)")
    headers: dict[str, str] = {}
    for line in opts.headers:
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"--header {line!r}: give it as 'Name: value'")
        headers[key.strip().lower()] = value.strip()
    if not 100 <= opts.status <= 599:
        raise UsageError(f"--status {opts.status}: an HTTP status is 100 to 599")
    return RawResponse(opts.status, headers, body, url=opts.url or provider.default_base_url)


_TEMPLATES = (
    ("URL", "response_url"),
    ("ThumbnailURL", "thumbnail_url"),
    ("DeletionURL", "deletion_url"),
    ("ErrorMessage", "error"),
    ("success", "success"),  # pixup's own: a provider file may name the host's flag
)


def _evaluated(provider: CustomProvider, resp: RawResponse) -> list[dict[str, Any]]:
    """Each answer template: its text, and what it yields or where it fails."""
    from pixup.providers import syntax

    ctx = syntax.Context(response=resp, regex_list=tuple(provider.definition.regex_list))
    rows = []
    for label, attr in _TEMPLATES:
        text = getattr(provider.definition, attr)
        row: dict[str, Any] = {"name": label, "template": text, "value": None, "error": None}
        if text:
            try:
                row["value"] = syntax.render(getattr(provider.templates, attr), ctx).strip()
            except syntax.TemplateError as exc:
                row["error"] = str(exc)
        rows.append(row)
    return rows


def _yielded(row: dict[str, Any]) -> str:
    if not row["template"]:
        return "(not set)"
    if row["error"] is not None:
        return f"{row['template']}  fails: {row['error']}"
    return f"{row['template']}  ->  {row['value']!r}"


def _verdict(provider: CustomProvider, resp: RawResponse) -> tuple[dict[str, Any], int]:
    """What the upload code concludes from ``resp``: the same parsing and checks."""
    from pixup import transport
    from pixup.errors import PixupError
    from pixup.providers import decode
    from pixup.providers.base import Target

    target = Target(base_url=provider.default_base_url, api=1)
    try:
        if not provider.redirect_answers():
            transport.refuse_redirect(resp)
        media = decode.usable(provider.parse_upload(target, resp), resp.status).media
    except PixupError as err:
        text = f"fails, exit {int(err.exit_code)}: {err.message}"
        return {"upload": text, "error": err.to_json()}, int(err.exit_code)
    found = {"url": media.url, "thumb_url": media.thumb_url, "deletion_url": media.deletion_url}
    return {"upload": f"succeeds with {media.url}", "media": found}, 0
