"""Providers a user describes as data: pixup's own TOML format, which ``.sxcu`` files from
ShareX are converted into (see :mod:`pixup.providers.sxcu`).

A definition file lives in ``<config dir>/providers/<name>.toml``::

    format = 1
    title = "example.com"

    [request]
    method = "POST"
    url = "https://example.com/api/upload"
    body = "multipart"          # multipart, form, json, xml, binary or none
    file_field = "file"         # multipart: the field that carries the file
    data = ""                   # json and xml: the body, with {input} and {filename}

    [request.query]             # added to the URL's query string
    [request.headers]
    Authorization = "Bearer {secret:token}"
    [request.fields]            # multipart and form fields

    [response]
    url = "{json:data.link}"    # empty: the whole answer is the URL
    thumbnail_url = "{json:data.thumb}"
    deletion_url = "{json:data.delete}"
    error = "{json:error.message}"

    [limits]
    max_size = "20MB"
    types = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    [links]                     # for `pixup thumb-url`; {id} is the media id
    media = "https://example.com/{id}"
    thumbnail = "https://example.com/{id}_t.png"
    hosts = ["example.com"]

    [secrets]                   # what each {secret:NAME} is; the values live elsewhere
    token = "API token"

Every value under ``request`` and ``response`` is a template in ShareX's syntax
(:mod:`pixup.providers.syntax`); ``{secret:NAME}`` is pixup's addition: the value comes
from ``PIXUP_<PROVIDER>_<NAME>`` or the keyring, never from the file. Bodies that cannot
carry a file as a file (form, json, xml, none) carry it base64-encoded through ``{input}``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from pixup.errors import AuthError, ConfigError, ServerError, UsageError, error_for_status
from pixup.providers import decode, syntax
from pixup.providers.base import (
    Provider,
    Target,
    answered_at_all,
    media_part,
    reject_options,
)
from pixup.specs import CredentialSpec
from pixup.values import env_prefix, parse_size

if TYPE_CHECKING:
    from pixup.context import Prompter
    from pixup.models import (
        Credentials,
        PingResult,
        RawResponse,
        RequestSpec,
        UploadParams,
        UploadResult,
    )

FORMAT = 1
BODIES = ("multipart", "form", "json", "xml", "binary", "none")
# Bodies with no place for a file part: the file travels as base64 through {input}.
TEXT_BODIES = frozenset({"form", "json", "xml", "none"})
METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
DEFAULT_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
# A text body holds the whole file, base64-encoded, in memory: keep that bounded.
TEXT_BODY_MAX_SIZE = 16 * 1024 * 1024
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SECRET_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Secret names that would collide with the provider's config environment variables.
RESERVED_SECRETS = frozenset({"url", "api", "format", "max_size"})


@dataclass
class Definition:
    """A custom provider as data; :func:`from_toml` checks it, :meth:`to_toml` writes it."""

    name: str
    title: str
    url: str
    method: str = "POST"
    body: str = "multipart"
    file_field: str = "file"
    data: str = ""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    response_url: str = ""
    thumbnail_url: str = ""
    deletion_url: str = ""
    error: str = ""
    # A template for the host's own success flag (``{json:success}``): an answer where it
    # yields false, 0, "fail" or "error" is a failure, whatever its HTTP status.
    success: str = ""
    regex_list: list[str] = field(default_factory=list)
    max_size: int | None = None
    types: list[str] = field(default_factory=lambda: list(DEFAULT_TYPES))
    media_link: str = ""
    thumbnail_link: str = ""
    hosts: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    source: str = ""
    # How the deletion URL is used: ShareX opens it with GET; a provider file may say more.
    delete_method: str = "GET"
    delete_data: str = ""  # a form-encoded body for the deletion request

    def to_toml(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format": FORMAT, "title": self.title}
        doc |= _set({"source": self.source})
        doc["request"] = {
            "method": self.method,
            "url": self.url,
            "body": self.body,
            **({"file_field": self.file_field} if self.body == "multipart" else {}),
            **({"data": self.data} if self.body in ("json", "xml") else {}),
            **_set({k: dict(getattr(self, k)) for k in ("query", "headers", "fields")}),
        }
        doc["response"] = _set(
            {
                "url": self.response_url,
                "thumbnail_url": self.thumbnail_url,
                "deletion_url": self.deletion_url,
                "error": self.error,
                "success": self.success,
                "regex_list": list(self.regex_list),
            }
        )
        doc["limits"] = {"types": list(self.types)}
        if self.max_size is not None:
            doc["limits"]["max_size"] = self.max_size
        links = _set(
            {"media": self.media_link, "thumbnail": self.thumbnail_link, "hosts": list(self.hosts)}
        )
        delete = {"method": self.delete_method} if self.delete_method != "GET" else {}
        delete |= _set({"data": self.delete_data})
        return doc | _set({"links": links, "delete": delete, "secrets": dict(self.secrets)})


def _set(values: dict[str, Any]) -> dict[str, Any]:
    """The entries that have a value (TOML has no null; an empty table says nothing)."""
    return {k: v for k, v in values.items() if v}


def from_toml(name: str, doc: Mapping[str, Any]) -> Definition:
    """A checked :class:`Definition`; a :class:`ConfigError` names the first bad key."""
    _check_head(name, doc)
    request = _table(doc, "request")
    response = _table(doc, "response")
    limits = _table(doc, "limits")
    links = _table(doc, "links")
    delete = _table(doc, "delete")
    _check_keys(doc, request, response, limits, links)
    _no_unknown(delete, {"method", "data"}, "delete.")
    url = _str(request, "url", "request.url")
    if not url:
        raise ConfigError("request.url is missing")
    method = _choice(request, "method", "POST", METHODS)
    body = _choice(request, "body", "multipart", BODIES)
    max_size = _max_size(limits)
    types = _types(limits)
    hosts = _strings(links, "hosts", [], "links.hosts must be a list of host names")
    secrets = _str_table(doc, "secrets", "secrets")
    for secret in secrets:
        _check_secret_name(secret)
    regex_list = _strings(
        response, "regex_list", [], "response.regex_list must be a list of regular expressions"
    )
    return Definition(
        name=name,
        title=_str(doc, "title", "title", name),
        url=url,
        method=method,
        body=body,
        file_field=_str(request, "file_field", "request.file_field", "file"),
        data=_str(request, "data", "request.data"),
        query=_str_table(request, "query", "request.query"),
        headers=_str_table(request, "headers", "request.headers"),
        fields=_str_table(request, "fields", "request.fields"),
        response_url=_str(response, "url", "response.url"),
        thumbnail_url=_str(response, "thumbnail_url", "response.thumbnail_url"),
        deletion_url=_str(response, "deletion_url", "response.deletion_url"),
        error=_str(response, "error", "response.error"),
        success=_str(response, "success", "response.success"),
        regex_list=regex_list,
        max_size=max_size,
        types=types,
        media_link=_str(links, "media", "links.media"),
        thumbnail_link=_str(links, "thumbnail", "links.thumbnail"),
        hosts=[h.lower() for h in hosts],
        secrets=secrets,
        source=_str(doc, "source", "source"),
        delete_method=_delete_method(delete),
        delete_data=_str(delete, "data", "delete.data"),
    )


def _check_head(name: str, doc: Mapping[str, Any]) -> None:
    if not NAME_RE.match(name):
        raise ConfigError(
            f"{name!r} is not a provider name (lower-case letters, digits, '-' and '_')"
        )
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise ConfigError(f"format {fmt!r} is not one this pixup reads (it reads {FORMAT})")


def _check_keys(
    doc: Mapping[str, Any],
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    limits: Mapping[str, Any],
    links: Mapping[str, Any],
) -> None:
    known = {
        "format",
        "title",
        "source",
        "request",
        "response",
        "limits",
        "links",
        "delete",
        "secrets",
    }
    _no_unknown(doc, known, "")
    _no_unknown(
        request, {"method", "url", "body", "file_field", "data", "query", "headers", "fields"}, ""
    )
    _no_unknown(
        response,
        {"url", "thumbnail_url", "deletion_url", "error", "success", "regex_list"},
        "response.",
    )
    _no_unknown(limits, {"max_size", "types"}, "limits.")
    _no_unknown(links, {"media", "thumbnail", "hosts"}, "links.")


def _choice(request: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    """request.method or request.body: one of ``choices`` (METHODS are upper-case)."""
    value = _str(request, key, f"request.{key}", default)
    value = value.upper() if choices is METHODS else value.lower()
    if value not in choices:
        raise ConfigError(f"request.{key} {value!r} is not one of {', '.join(choices)}")
    return value


def _delete_method(delete: Mapping[str, Any]) -> str:
    value = _str(delete, "method", "delete.method", "GET").upper()
    if value not in ("GET", "POST", "DELETE"):
        raise ConfigError(f"delete.method {value!r} is not one of GET, POST, DELETE")
    return value


def _max_size(limits: Mapping[str, Any]) -> int | None:
    max_size = limits.get("max_size")
    if isinstance(max_size, str):
        try:
            max_size = parse_size(max_size)
        except ValueError as exc:
            raise ConfigError(f"limits.max_size: {exc}") from None
    if max_size is not None and (not isinstance(max_size, int) or max_size <= 0):
        raise ConfigError('limits.max_size must be a size such as "20MB" or a byte count')
    return max_size


def _types(limits: Mapping[str, Any]) -> list[str]:
    types = limits.get("types", list(DEFAULT_TYPES))
    if not isinstance(types, list) or not all(t in DEFAULT_TYPES for t in types) or not types:
        raise ConfigError(f"limits.types must list some of {', '.join(DEFAULT_TYPES)}")
    return list(types)


def _strings(table: Mapping[str, Any], key: str, default: list[str], error: str) -> list[str]:
    value = table.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(error)
    return list(value)


def _check_secret_name(secret: str) -> None:
    if not SECRET_RE.match(secret) or secret in RESERVED_SECRETS:
        raise ConfigError(
            f"{secret!r} cannot name a secret (lower-case letters, digits and '_', "
            f"not {', '.join(sorted(RESERVED_SECRETS))})"
        )


def _table(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a table")
    return value


def _no_unknown(table: Mapping[str, Any], known: set[str], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"unknown key {prefix}{key!s}")


def _str(table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string")
    return value


def _str_table(table: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where} must be a table of strings")
    return dict(value)


# What a host's success flag says when the upload failed.
_FAILED = frozenset({"false", "0", "fail", "failed", "error", "no"})

# Words of a host's error message that mean the credentials were refused (exit 3).
_AUTH_WORDS = re.compile(
    r"auth|api.?key|\bkey\b|token|credential|password|log.?in|permission|forbidden|denied",
    re.IGNORECASE,
)


# --- the provider ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Templates:
    url: syntax.Template
    query: dict[str, syntax.Template]
    headers: dict[str, syntax.Template]
    fields: dict[str, syntax.Template]
    response_url: syntax.Template
    thumbnail_url: syntax.Template
    deletion_url: syntax.Template
    error: syntax.Template
    success: syntax.Template


def compile_templates(d: Definition) -> _Templates:
    """Parse and check every template; a :class:`ConfigError` names the first bad one."""
    regexes = len(d.regex_list)

    def one(text: str, where: str, response: bool) -> syntax.Template:
        try:
            template = syntax.parse(text, where)
            syntax.check(template, where, response=response, regex_list=regexes)
        except syntax.TemplateError as exc:
            raise ConfigError(str(exc)) from None
        for secret in syntax.secret_names(template):
            if secret not in d.secrets:
                raise ConfigError(f"{where}: {{secret:{secret}}} is not listed under [secrets]")
        return template

    def table(values: dict[str, str], where: str) -> dict[str, syntax.Template]:
        return {k: one(v, f"{where}.{k}", False) for k, v in values.items()}

    templates = _Templates(
        url=one(d.url, "request.url", False),
        query=table(d.query, "request.query"),
        headers=table(d.headers, "request.headers"),
        fields=table(d.fields, "request.fields"),
        response_url=one(d.response_url, "response.url", True),
        thumbnail_url=one(d.thumbnail_url, "response.thumbnail_url", True),
        deletion_url=one(d.deletion_url, "response.deletion_url", True),
        error=one(d.error, "response.error", True),
        success=one(d.success, "response.success", True),
    )
    if d.body in TEXT_BODIES and not _carries_file(d, templates):
        raise ConfigError(
            f"request.body {d.body!r} has no file part, and nothing uses {{input}} (the file, "
            "base64-encoded): this provider would send no image"
        )
    return templates


def _carries_file(d: Definition, t: _Templates) -> bool:
    if d.body in ("json", "xml") and re.search(r"\{input\}", d.data, re.IGNORECASE):
        return True
    parts = [t.url, *t.query.values(), *t.headers.values()]
    if d.body == "form":
        parts += list(t.fields.values())
    return any(syntax.uses(p, "input") for p in parts)


class CustomProvider(Provider):
    apis = (1,)
    default_api = 1
    thumb_sizes = ("thumb", "full")
    default_thumb_size = "thumb"

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.templates = compile_templates(definition)
        self.name = definition.name
        self.title = definition.title
        self.default_base_url = definition.url
        self.hosts = frozenset(definition.hosts)
        limit = definition.max_size
        if definition.body in TEXT_BODIES:
            limit = min(limit or TEXT_BODY_MAX_SIZE, TEXT_BODY_MAX_SIZE)
        self.max_size = limit
        self.accepted_types = tuple(definition.types)
        self.credentials = tuple(self.secret_spec(s) for s in definition.secrets)

    def secret_spec(self, secret: str) -> CredentialSpec:
        """``{secret:NAME}``: ``PIXUP_<PROVIDER>_<NAME>``, or the keyring's
        ``<provider>.<name>``."""
        return CredentialSpec(
            secret,
            f"{self.name} secret {secret!r}",
            f"{env_prefix(self.name)}_{secret.upper()}",
            secret=True,
            store=f"{self.name}.{secret}",
            login=f"pixup provider secret {self.name} {secret}",
        )

    def credential_name(self, secret: str) -> str:
        """Where the keyring keeps ``secret``."""
        return self.secret_spec(secret).store

    def required_credentials(self, api: int, post: bool) -> tuple[CredentialSpec, ...]:
        used: dict[str, None] = {}
        t = self.templates
        for template in (t.url, *t.query.values(), *t.headers.values(), *t.fields.values()):
            for secret in syntax.secret_names(template):
                used[secret] = None
        return tuple(self.secret_spec(s) for s in used)

    def _context(self, params: UploadParams, creds: Credentials) -> syntax.Context:
        secrets = dict(creds.values)
        path, source = params.path, params.source

        def file_base64() -> str:
            # Only the text bodies get here, and their size is capped (TEXT_BODY_MAX_SIZE).
            if source is None:
                return base64.b64encode(path.read_bytes()).decode("ascii")
            source.seek(0)
            return base64.b64encode(source.read()).decode("ascii")

        return syntax.Context(
            filename=params.filename,
            input=file_base64,
            secrets=secrets,
            ask=params.ask,
            regex_list=tuple(self.definition.regex_list),
        )

    def build_upload(self, target: Target, params: UploadParams, creds: Credentials) -> RequestSpec:
        from pixup.models import RequestSpec

        reject_options(params, set(), f"the custom provider {self.name}")
        d, t = self.definition, self.templates
        try:
            url, query, headers, fields, body = self._render(target, params, creds)
        except syntax.TemplateError as exc:
            raise UsageError(f"{self.name}: {exc}") from None
        _one_line_headers(self.name, headers)
        if query:
            url += ("&" if urlsplit(url).query else "?") + urlencode(query)
        spec = RequestSpec(
            method=d.method,
            url=url,
            headers=headers,
            secret_headers=_secret_keys(t.headers),
            secret_fields=_secret_keys(t.fields),
        )
        if d.body == "multipart":
            spec.fields = fields
            spec.files = [media_part(params, d.file_field)]
        elif d.body == "binary":
            spec.body_file = media_part(params, "")
        else:
            spec.body = body
        return spec

    def _render(
        self, target: Target, params: UploadParams, creds: Credentials
    ) -> tuple[str, dict[str, str], dict[str, str], list[tuple[str, str]], bytes | None]:
        """The request's templates filled in: URL, query, headers, fields, text body."""
        d, t = self.definition, self.templates
        ctx = self._context(params, creds)
        url_template = t.url
        if target.base_url != self.default_base_url:
            url_template = syntax.parse(target.base_url, "--endpoint")
        url = syntax.render(url_template, replace(ctx, url_encode=True))
        coded = replace(ctx, name_codes=True)
        query = {k: syntax.render(v, coded) for k, v in t.query.items()}
        headers = {k: syntax.render(v, coded) for k, v in t.headers.items()}
        fields = [(k, syntax.render(v, coded)) for k, v in t.fields.items()]
        body: bytes | None = None
        if d.body == "form":
            body = urlencode(fields).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif d.body in ("json", "xml"):
            data = syntax.expand_codes(d.data)
            body = syntax.fill_data(data, d.body, params.filename, ctx.input or str).encode()
            headers.setdefault("Content-Type", f"application/{d.body}")
        return url, query, headers, fields, body

    def build_delete(
        self, target: Target, deletion_url: str, creds: Credentials | None
    ) -> RequestSpec:
        """The deletion URL with the provider file's method and body (GET, as ShareX)."""
        from pixup.models import RequestSpec

        d = self.definition
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if d.delete_data else {}
        body = d.delete_data.encode() if d.delete_data else None
        return RequestSpec(method=d.delete_method, url=deletion_url, headers=headers, body=body)

    def redirect_answers(self) -> bool:
        """ShareX's ``{responseurl}`` is the URL an upload was redirected to (Chevereto's
        ``format=redirect``): for a provider that reads it, a redirect is the answer."""
        t = self.templates
        return any(
            syntax.uses(x, "responseurl") for x in (t.response_url, t.thumbnail_url, t.deletion_url)
        )

    def _redirected(self, resp: RawResponse) -> RawResponse:
        """A redirect this provider reads, as an answer whose URL is the ``Location``
        (resolved against the request's URL); it is not followed, nothing is re-sent."""
        location = resp.headers.get("location", "").strip()
        if not location:
            raise ServerError(
                f"{self.name}: HTTP {resp.status} without a Location: nothing names the upload",
                http_status=resp.status,
            )
        where = urljoin(resp.url, location)
        if urlsplit(where).scheme not in ("http", "https"):
            raise ServerError(
                f"{self.name}: redirected to {decode.one_line(where)!r}, not a web address",
                http_status=resp.status,
            )
        return replace(resp, url=where)

    def parse_upload(self, target: Target, resp: RawResponse, filename: str = "") -> UploadResult:
        from pixup.models import Media, UploadResult

        redirected = 300 <= resp.status < 400 and self.redirect_answers()
        if redirected:
            resp = self._redirected(resp)
        ctx = syntax.Context(
            filename=filename, response=resp, regex_list=tuple(self.definition.regex_list)
        )
        if not (redirected or 200 <= resp.status < 300):
            text = self._error_message(ctx) or decode.body_snippet(resp)
            raise error_for_status(resp.status, f"{self.name}: HTTP {resp.status}: {text}")
        self._check_success(resp, ctx)
        url, thumb, deletion = self._links_of(resp, ctx)
        # A redirect read as the answer is a success whatever its 3xx status.
        url = decode.require_url(
            self.name, replace(resp, status=200) if redirected else resp, url or None
        )
        return UploadResult(
            media=Media(url=url, thumb_url=thumb or None, deletion_url=deletion or None)
        )

    def _links_of(self, resp: RawResponse, ctx: syntax.Context) -> tuple[str, str, str]:
        """URL, thumbnail and deletion URL from a success status. Many hosts answer a
        failure with 200 (``success: false``, ``status_code: 400``, ``stat="fail"``): when
        the URL yields nothing, ``ErrorMessage`` says why, if it can."""
        t = self.templates
        try:
            url = syntax.render(t.response_url, ctx).strip() if t.response_url else ctx.text()
            url = url.strip()
            thumb = syntax.render(t.thumbnail_url, ctx).strip()
            deletion = syntax.render(t.deletion_url, ctx).strip()
        except syntax.TemplateError as exc:
            self._failed_in_success(resp, ctx)
            raise ServerError(
                f"{self.name}: {exc} (HTTP {resp.status}): {decode.body_snippet(resp)}",
                http_status=resp.status,
            ) from None
        if not url:
            self._failed_in_success(resp, ctx)
        return url, thumb, deletion

    def _check_success(self, resp: RawResponse, ctx: syntax.Context) -> None:
        """The host's own success flag, where the provider names one (response.success)."""
        if not self.templates.success:
            return
        try:
            flag = syntax.render(self.templates.success, ctx).strip().lower()
        except syntax.TemplateError:
            flag = ""
        if flag in _FAILED:
            self._failed_in_success(resp, ctx)
            raise ServerError(
                f"{self.name}: the answer says it failed ({flag}) (HTTP {resp.status}): "
                f"{decode.body_snippet(resp)}",
                http_status=resp.status,
            )

    def _failed_in_success(self, resp: RawResponse, ctx: syntax.Context) -> None:
        """Raise the host's own error message from a 2xx answer, when it gives one: exit 3
        when its words are about credentials, else a server error (6)."""
        message = self._error_message(ctx)
        if not message:
            return
        text = f"{self.name}: {message} (HTTP {resp.status})"
        if _AUTH_WORDS.search(message):
            raise AuthError(text, http_status=resp.status)
        raise ServerError(text, http_status=resp.status)

    def _error_message(self, ctx: syntax.Context) -> str:
        if not self.templates.error:
            return ""
        try:
            return decode.one_line(syntax.render(self.templates.error, ctx).strip())
        except syntax.TemplateError:
            return ""

    def build_ping(self, target: Target) -> RequestSpec:
        from pixup.models import RequestSpec

        # A custom host has no ping: whether its origin answers at all is the check.
        parts = urlsplit(_plain(target.base_url))
        return RequestSpec(method="GET", url=f"{parts.scheme}://{parts.netloc}/")

    def parse_ping(self, target: Target, resp: RawResponse) -> PingResult:
        return answered_at_all(self.name, resp)

    def media_url(self, target: Target, media_id: str) -> str:
        return self._link(self.definition.media_link, "media", media_id)

    def thumb_url(self, target: Target, media_id: str, size: str) -> str:
        if size == "full":
            return self.media_url(target, media_id)
        return self._link(self.definition.thumbnail_link, "thumbnail", media_id)

    def _link(self, pattern: str, key: str, media_id: str) -> str:
        if not pattern:
            raise UsageError(
                f"the provider {self.name} has no {key} URL pattern; add links.{key} "
                f"to its file (`pixup provider show {self.name}` says where it is)"
            )
        return pattern.replace("{id}", media_id)

    def owns_url(self, url: str, target: Target | None = None) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.hosts


def terminal_ask(prompt: Prompter) -> syntax.Ask:
    """Answers for ``{prompt}`` and ``{select}`` from the person at the terminal, asked
    once per run (not once per file) and one at a time (uploads run in threads)."""
    import threading

    lock = threading.Lock()
    answers: dict[tuple[str, tuple[str, ...]], str] = {}

    def ask(title: str, default: str, choices: list[str] | None) -> str | None:
        key = (title, tuple(choices or ()))
        with lock:
            if key not in answers:
                answers[key] = (
                    prompt.choose(title, choices)
                    if choices
                    else prompt.text(title, default=default)
                )
            return answers[key]

    return ask


def _secret(template: syntax.Template) -> bool:
    return bool(syntax.secret_names(template))


def _secret_keys(templates: dict[str, syntax.Template]) -> frozenset[str]:
    return frozenset(k for k, v in templates.items() if _secret(v))


def _one_line_headers(name: str, headers: dict[str, str]) -> None:
    for key, value in headers.items():
        if "\r" in value or "\n" in value:
            # A prompt answer or a host's template must not add headers of its own.
            raise UsageError(f"{name}: the {key} header would contain a line break")


def _plain(url: str) -> str:
    """The URL with its template calls left out (for the ping's origin)."""
    return re.sub(r"\{[^{}]*\}", "", url)


# A real provider file is a few hundred bytes; a huge one is refused before it is read,
# so that loading the providers (which every command using one does) stays fast.
FILE_MAX_SIZE = 256 * 1024


def read_provider_file(path: Path) -> bytes:
    """The bytes of a provider file (.toml or .sxcu), at most FILE_MAX_SIZE of them."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(FILE_MAX_SIZE + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}") from None
    if len(raw) > FILE_MAX_SIZE:
        raise ConfigError(f"too large for a provider file (more than {FILE_MAX_SIZE // 1024} KB)")
    return raw


def load_file(path: Path) -> CustomProvider:
    """The provider a TOML file describes; a :class:`ConfigError` says what is wrong."""
    import tomllib

    raw = read_provider_file(path)
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError("not valid TOML: nested too deeply") from None
    return CustomProvider(from_toml(path.stem, doc))
