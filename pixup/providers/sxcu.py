"""ShareX custom uploaders (``.sxcu``) converted to pixup's provider format.

Two generations of the format are read. ShareX 13.7.1 and later: ``RequestMethod``,
``Parameters``, ``Body`` and the ``{function}`` syntax. Before that: ``RequestType``,
``ResponseType``, ``RegexList`` and the ``$function$`` syntax, migrated the way ShareX
migrates it. Anything pixup cannot honour is reported by name; secrets written into the
file (API keys in ``Arguments``, ``Parameters`` or ``Headers``) are taken out, to be kept
in the keyring, and replaced by ``{secret:NAME}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pixup.errors import ConfigError
from pixup.providers import syntax
from pixup.providers.custom import (
    NAME_RE,
    RESERVED_SECRETS,
    Definition,
    compile_templates,
)

BODIES = {
    "multipartformdata": "multipart",
    "formurlencoded": "form",
    "json": "json",
    "xml": "xml",
    "binary": "binary",
    "none": "none",
}
KNOWN_KEYS = {
    "Version",
    "Name",
    "DestinationType",
    "RequestMethod",
    "RequestType",
    "RequestURL",
    "Parameters",
    "Headers",
    "Body",
    "Arguments",
    "FileFormName",
    "Data",
    "URL",
    "ThumbnailURL",
    "DeletionURL",
    "ErrorMessage",
    "RegexList",
    "ResponseType",
    "RequestFormat",
}
# Names whose values are credentials, in Arguments, Parameters and Headers.
SECRET_KEY = re.compile(
    r"key|token|secret|pass|auth|sig|session|cookie|bearer|credential", re.IGNORECASE
)
SCHEME = re.compile(
    r"^(Bearer|Token|Client-ID|Basic|Bot|Key|Api-Key|DeepL-Auth-Key)\s+(\S.*)$", re.IGNORECASE
)
# The first ShareX version that writes the {function} syntax.
NEW_SYNTAX = (13, 7, 2)


@dataclass
class Imported:
    definition: Definition
    secrets: dict[str, str] = field(default_factory=dict)  # secret name -> value
    notes: list[str] = field(default_factory=list)  # what the user should know


def convert(raw: bytes, source: str, name: str | None = None) -> Imported:
    """The provider a ``.sxcu`` file describes; a :class:`ConfigError` says what is wrong."""
    doc = _load(raw, source)
    text = _strings(doc, source)
    _check_destination(text("DestinationType"), source)
    if not text("DestinationType") and re.search(rb"\$input\$|\{input\}", raw):
        raise ConfigError(
            f"{source} names no DestinationType and sends {{input}}, the text a text uploader "
            "or URL shortener takes; pixup uploads images, so it needs one made for "
            "ImageUploader or FileUploader"
        )
    definition = _definition(doc, text, name, source)
    if definition.body == "multipart" and not text("FileFormName"):
        raise ConfigError(f"{source}: FileFormName is missing (the form field for the file)")
    imported = Imported(definition=definition, notes=_notes(definition, text("Body")))
    _take_secrets(imported)
    try:
        compile_templates(definition)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc.message}") from None
    return imported


def _definition(doc: dict[str, Any], text: Any, name: str | None, source: str) -> Definition:
    old = _old_syntax(text("Version"), doc)
    migrate = syntax.migrate_dollar if old else (lambda s: s)
    method = _method(text)
    body = _body(text, method, source)
    request_url, query = _split_query(text("RequestURL"), doc, migrate, source)
    host = (urlsplit(request_url.replace("{", "").replace("}", "")).hostname or "").lower()
    title = text("Name") or host

    return Definition(
        name=_provider_name(name or title, source),
        title=title or "custom uploader",
        url=migrate(request_url),
        method=method,
        body=body,
        file_field=text("FileFormName") or "file",
        data=_migrate_data(text("Data")) if old else text("Data"),
        query=query,
        headers=_migrated(doc, "Headers", migrate, source),
        fields=_migrated(doc, "Arguments", migrate, source),
        response_url=_response_url(text, migrate, source),
        thumbnail_url=migrate(text("ThumbnailURL")),
        deletion_url=migrate(text("DeletionURL")),
        error=migrate(text("ErrorMessage")),
        regex_list=_regex_list(doc, source),
        hosts=[host] if host else [],
        source=source,
    )


def _migrated(doc: dict[str, Any], key: str, migrate: Any, source: str) -> dict[str, str]:
    return {k: migrate(v) for k, v in _table(doc, key, source).items()}


def _split_query(
    request_url: str, doc: dict[str, Any], migrate: Any, source: str
) -> tuple[str, dict[str, str]]:
    """The URL without its query, and the query: ShareX moves a query string written into
    RequestURL to the parameters, and so does pixup."""
    request_url = request_url.strip()
    if not request_url:
        raise ConfigError(f"{source}: RequestURL is missing")
    parts = urlsplit(request_url)
    query = {k: migrate(v) for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    query.update(_migrated(doc, "Parameters", migrate, source))
    return urlunsplit(parts._replace(query="")), query


def _load(raw: bytes, source: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{source} is not a ShareX custom uploader: not UTF-8 text") from None
    except ValueError as exc:
        raise ConfigError(f"{source} is not a ShareX custom uploader: bad JSON ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{source} is not a ShareX custom uploader: nested too deeply") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{source} is not a ShareX custom uploader: not a JSON object")
    unknown = sorted(k for k in doc if k not in KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unsupported key(s) {', '.join(unknown)}")
    return doc


def _check_destination(destinations: str, source: str) -> None:
    kinds = {d.strip() for d in destinations.split(",") if d.strip()}
    if kinds and not kinds & {"ImageUploader", "FileUploader", "None"}:
        raise ConfigError(
            f"{source} is a {', '.join(sorted(kinds))} uploader; pixup uploads images, so it "
            "needs one made for ImageUploader or FileUploader"
        )


def _method(text: Any) -> str:
    return str(text("RequestMethod") or text("RequestType") or "POST").upper()


def _body(text: Any, method: str, source: str) -> str:
    body_name = text("Body")
    if not body_name:
        # The old format had no Body: a file form name meant a multipart upload.
        return "multipart" if text("FileFormName") or method == "POST" else "none"
    body = BODIES.get(body_name.lower())
    if body is None:
        raise ConfigError(
            f"{source}: Body {body_name!r} is not one of "
            "MultipartFormData, FormURLEncoded, JSON, XML, Binary, None"
        )
    return body


def _response_url(text: Any, migrate: Any, source: str) -> str:
    response_type = text("ResponseType") or "Text"
    response_url: str = migrate(text("URL"))
    if response_type == "LocationHeader":
        return response_url or "{header:Location}"
    if response_type != "Text":
        raise ConfigError(
            f"{source}: ResponseType {response_type!r} is not supported (pixup never follows "
            "redirects, and reads the answer's text)"
        )
    return response_url


def _regex_list(doc: dict[str, Any], source: str) -> list[str]:
    regex_list = doc.get("RegexList") or []
    if not isinstance(regex_list, list) or not all(isinstance(r, str) for r in regex_list):
        raise ConfigError(f"{source}: RegexList must be a list of strings")
    return list(regex_list)


def _notes(definition: Definition, body_name: str) -> list[str]:
    """What the user should know about what was imported."""
    notes: list[str] = []
    body = definition.body
    if body not in ("multipart", "form") and definition.fields:
        notes.append(
            f"Arguments are sent only with MultipartFormData and FormURLEncoded bodies, as in "
            f"ShareX; with {body_name or body} they are kept but not sent"
        )
    if "responseurl" in " ".join(
        (definition.response_url, definition.thumbnail_url, definition.deletion_url)
    ):
        notes.append(
            "it relies on a redirect: the upload's URL is where the host redirects the upload "
            "to ({responseurl}); pixup reads it from the answer's Location and follows nothing"
        )
    for label, table in (
        ("Parameters", definition.query),
        ("Headers", definition.headers),
        ("Arguments", definition.fields),
        ("Data", {"": definition.data}),
    ):
        for key, value in table.items():
            codes = syntax.unsupported_codes(value)
            if codes:
                notes.append(
                    f"{label}{'.' + key if key else ''} uses {', '.join(codes)}, which pixup sends "
                    "as written (ShareX fills them from a screenshot, a window or its counters)"
                )
    return notes


def _strings(doc: dict[str, Any], source: str) -> Any:
    def text(key: str) -> str:
        value = doc.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {key} must be a string")
        return value

    return text


def _table(doc: dict[str, Any], key: str, source: str) -> dict[str, str]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {key} must be an object of names and values")
    out: dict[str, str] = {}
    for k, v in value.items():
        if v is None:  # ShareX sends a null value as an empty field
            out[str(k)] = ""
            continue
        if not isinstance(v, str | int | float | bool):
            raise ConfigError(f"{source}: {key}.{k} must be a string")
        out[str(k)] = v if isinstance(v, str) else json.dumps(v)
    return out


def _old_syntax(version: str, doc: dict[str, Any]) -> bool:
    """Whether the file uses ``$function$``: written before ShareX 13.7.2, as ShareX
    itself decides (files without a version are older still)."""
    if not version:
        return True
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    return numbers < NEW_SYNTAX


def _migrate_data(data: str) -> str:
    return re.sub(
        r"\$(input|filename)\$", lambda m: "{" + m.group(1).lower() + "}", data, flags=re.I
    )


def _provider_name(wanted: str, source: str) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", wanted.strip().lower()).strip("-_")[:40]
    if not name or not NAME_RE.match(name):
        raise ConfigError(f"{source}: cannot make a provider name from {wanted!r}; pass --name")
    return name


def _secret_name(key: str, taken: dict[str, str]) -> str:
    base = re.sub(r"[^a-z0-9_]+", "_", key.lower()).strip("_") or "secret"
    if not base[0].isalpha():
        base = "s_" + base
    base = base[:32]
    if base in RESERVED_SECRETS:
        base += "_secret"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _take_secrets(imported: Imported) -> None:
    """Move credentials written into the file out of it: ``{secret:NAME}`` in their place."""
    d = imported.definition
    for label, table in (("Parameters", d.query), ("Headers", d.headers), ("Arguments", d.fields)):
        for key, value in list(table.items()):
            if SECRET_KEY.search(key) and value.strip():
                _take_secret(imported, label, table, key)


def _take_secret(imported: Imported, label: str, table: dict[str, str], key: str) -> None:
    try:
        template = syntax.parse(table[key], f"{label}.{key}")
    except syntax.TemplateError:
        return  # reported when the templates are compiled
    before = set(imported.secrets)
    rewritten = _rewrite(template, key, imported)
    if rewritten is None:
        if any(isinstance(n, str) and n.strip() for n in template):
            imported.notes.append(
                f"{label}.{key} mixes text and functions; it stays in the provider "
                "file (readable by you only), not in the keyring"
            )
        return
    table[key] = rewritten
    for new in set(imported.secrets) - before:
        imported.definition.secrets[new] = f"{label}.{key}"


def _rewrite(template: syntax.Template, key: str, imported: Imported) -> str | None:
    """The template with its secret replaced by ``{secret:NAME}``, or None when no secret
    can be told apart."""
    taken = imported.secrets
    if len(template) == 1 and isinstance(template[0], str):
        value = template[0]
        scheme = SCHEME.match(value)
        name = _secret_name(key, taken)
        if scheme:
            taken[name] = scheme.group(2)
            return f"{_escape(scheme.group(1))} {{secret:{name}}}"
        taken[name] = value
        return f"{{secret:{name}}}"
    if _literal_in_base64(template):
        assert isinstance(template[0], str) and isinstance(template[1], syntax.Call)
        name = _secret_name(key, taken)
        taken[name] = "".join(str(n) for n in template[1].args[0])
        return f"{_escape(template[0])}{{base64:{{secret:{name}}}}}"
    return None


def _literal_in_base64(template: syntax.Template) -> bool:
    """ "Basic {base64:user:password}": the literal inside base64 is the secret."""
    if len(template) != 2 or not isinstance(template[0], str):
        return False
    call = template[1]
    return (
        isinstance(call, syntax.Call)
        and call.name == "base64"
        and len(call.args) == 1
        and all(isinstance(n, str) for n in call.args[0])
    )


def _escape(text: str) -> str:
    return re.sub(r"([\\{}|])", r"\\\1", text)
