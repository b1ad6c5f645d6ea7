"""Turn a response body, XML or JSON, into one nested-dict shape that parsers share.

An XML element becomes a dict of its attributes and children (or its text when it has
neither), so ``<response status="fail"><error code="1"/></response>`` reads exactly like
the services' JSON ``{"response": {"status": "fail", "error": {"code": 1}}}``.
XML is parsed only with defusedxml, with DTDs refused outright: no service sends one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pixup.errors import (
    AuthError,
    PixupError,
    RejectedError,
    ServerError,
    error_for_status,
)

if TYPE_CHECKING:
    from pixup.models import RawResponse, UploadResult

Document = dict[str, Any]


def _describe(resp: RawResponse) -> str:
    return f"HTTP {resp.status}"


def sniff_format(resp: RawResponse, expected: str) -> str:
    """The body's real format: its leading byte wins over headers and the asked format."""
    head = resp.body.lstrip()[:1]
    if head == b"<":
        return "xml"
    if head in (b"{", b"["):
        return "json"
    if "xml" in resp.content_type:
        return "xml"
    if "json" in resp.content_type:
        return "json"
    return expected


def load(resp: RawResponse, expected: str) -> Document:
    """Parse ``resp`` into a dict, or raise :class:`ServerError` saying what was wrong."""
    if not resp.body.strip():
        raise ServerError(
            f"the service answered {_describe(resp)} with an empty body", http_status=resp.status
        )
    fmt = sniff_format(resp, expected)
    try:
        return _load_xml(resp) if fmt == "xml" else _load_json(resp)
    except RecursionError:
        # Nesting is bounded by the interpreter's recursion limit; no real answer nears it.
        raise ServerError(
            f"the service answered {_describe(resp)} with {fmt.upper()} nested too deeply",
            http_status=resp.status,
        ) from None


def _load_json(resp: RawResponse) -> Document:
    import json  # here, not at the top: `thumb-url` imports this module and parses nothing

    try:
        data = json.loads(resp.body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ServerError(
            f"the service answered {_describe(resp)} with a body that is not UTF-8",
            http_status=resp.status,
        ) from None
    except ValueError as exc:
        raise ServerError(
            f"the service answered {_describe(resp)} with malformed JSON ({exc.msg} at line "
            f"{exc.lineno})"
            if isinstance(exc, json.JSONDecodeError)
            else f"the service answered {_describe(resp)} with malformed JSON",
            http_status=resp.status,
        ) from None
    if not isinstance(data, dict):
        raise ServerError(
            f"the service answered {_describe(resp)} with JSON that is not an object",
            http_status=resp.status,
        )
    return data


def _load_xml(resp: RawResponse) -> Document:
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(resp.body, forbid_dtd=True)
    except DefusedXmlException:
        raise ServerError(
            f"the service answered {_describe(resp)} with XML that uses a DTD or entities; "
            "pixup refuses to parse it",
            http_status=resp.status,
        ) from None
    except ParseError as exc:
        raise ServerError(
            f"the service answered {_describe(resp)} with malformed XML ({exc})",
            http_status=resp.status,
        ) from None
    return {_local(root.tag): _element_value(root)}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_value(elem: Any) -> Any:
    children = list(elem)
    if not children and not elem.attrib:
        return (elem.text or "").strip()
    value: dict[str, Any] = dict(elem.attrib)
    for child in children:
        value.setdefault(_local(child.tag), _element_value(child))
    return value


def scalar(value: Any) -> str | None:
    """A scalar field as text; ``None`` when absent, empty or not a scalar at all."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value).strip()
    return text or None


def integer(value: Any) -> int | None:
    """A count such as width or size; ``None`` when absent or not a whole number."""
    text = scalar(value)
    if text is None:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    return number if number >= 0 else None


def sub(doc: Any, key: str) -> dict[str, Any]:
    """A nested object, or an empty one when it is missing or of the wrong shape."""
    if isinstance(doc, dict):
        value = doc.get(key)
        if isinstance(value, dict):
            return value
    return {}


def one_line(text: str, limit: int = 200) -> str:
    """Server-supplied text made safe for a one-line message: no control characters."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def body_snippet(resp: RawResponse) -> str:
    text = resp.body[:2048].decode("utf-8", errors="replace")
    if "<html" in text.lower() or "<body" in text.lower():
        # A proxy's error page: its words matter, its markup does not.
        text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]*>", " ", text, flags=re.I | re.S)
    return one_line(text) or "no body"


def require_url(service: str, resp: RawResponse, url: str | None) -> str:
    """The media URL of a success answer; a missing one, or a success body under an
    error status, is an error judged by the HTTP status."""
    if not 200 <= resp.status < 300:
        if url is None:
            raise error_for_status(
                resp.status,
                f"{service}: the service answered HTTP {resp.status}: {body_snippet(resp)}",
            )
        raise ServerError(
            f"{service}: the service answered HTTP {resp.status} with a success body",
            http_status=resp.status,
        )
    if url is None:
        raise ServerError(
            f"{service}: the answer (HTTP {resp.status}) has no media URL: {body_snippet(resp)}",
            http_status=resp.status,
        )
    return url


def load_answer(resp: RawResponse, expected: str) -> Document:
    """Like :func:`load`, but a non-2xx answer that cannot be parsed is reported by its
    status (a proxy's HTML 502 page is a server failure, not "malformed XML")."""
    try:
        return load(resp, expected)
    except ServerError:
        if 200 <= resp.status < 300:
            raise
        raise error_for_status(
            resp.status, f"the service answered HTTP {resp.status}: {body_snippet(resp)}"
        ) from None


# Error codes both services document; anything else is judged by the HTTP status.
_CODE_ERRORS: dict[int, type[PixupError]] = {
    999: AuthError,
    1000: ServerError,
    1001: AuthError,
    1002: RejectedError,
    1003: RejectedError,
    1004: RejectedError,
}


def failure(service: str, resp: RawResponse, code: int | None, msg: str | None) -> PixupError:
    text = one_line(msg) if msg else "no message"
    detail = f"{service}: {text}" + (f" (error {code})" if code is not None else "")
    cls = _CODE_ERRORS.get(code) if code is not None else None
    if cls is not None:
        return cls(detail, code=code, http_status=resp.status)
    if 200 <= resp.status < 300:
        return ServerError(detail, code=code, http_status=resp.status)
    return error_for_status(resp.status, detail, code=code)


# An error code is a small number; a longer one is kept in the message, not as a number.
MAX_CODE_DIGITS = 18


def find_failure(node: dict[str, Any]) -> tuple[int | None, str | None] | None:
    """``(code, msg)`` when ``node`` is a failure answer in either service's style:
    ``status="fail"`` or ``stat="fail"`` with an ``error`` or ``err`` child."""
    state = scalar(node.get("status")) or scalar(node.get("stat"))
    err = sub(node, "error") or sub(node, "err")
    if state != "fail" and not err:
        return None
    code_text = scalar(err.get("code"))
    msg = scalar(err.get("msg")) or scalar(err.get("message"))
    if not code_text or not code_text.lstrip("-").isdigit():
        return None, msg
    if len(code_text.lstrip("-")) > MAX_CODE_DIGITS:
        # Not a code any service uses, and more than the ledger's integers hold: kept as text.
        return None, f"{msg or 'no message'} (error code {one_line(code_text, 40)})"
    return int(code_text), msg


# The links of an upload a person will open or pixup will request (delete), by name.
_LINKS = {
    "url": "media URL",
    "thumb_url": "thumbnail URL",
    "full_url": "full-size URL",
    "deletion_url": "deletion URL",
}


def usable(result: UploadResult, http_status: int) -> UploadResult:
    """The one step every provider's answer passes before pixup prints or records it:
    each link must be an absolute http(s) URL (``javascript:``, ``file:``, ``data:``, a
    newline that would forge a second line: "not a usable URL"), and every other text
    has its control characters escaped visibly."""
    from dataclasses import fields, replace

    from pixup.controls import escaped, web_url_problem

    for name, label in _LINKS.items():
        value = getattr(result.media, name)
        problem = value is not None and web_url_problem(value)
        if problem:
            raise ServerError(
                f"the answer's {label} is not a usable URL ({problem}): {one_line(escaped(value))}",
                http_status=http_status,
            )
    profile = result.user.profile_url
    user = (
        replace(result.user, profile_url=None)
        if profile and web_url_problem(profile)
        else result.user
    )

    def clean(obj: Any) -> Any:
        changes = {
            f.name: escaped(value)
            for f in fields(obj)
            if isinstance(value := getattr(obj, f.name), str) and value != escaped(value)
        }
        return replace(obj, **changes) if changes else obj

    return replace(
        result,
        media=clean(result.media),
        user=clean(user),
        status_id=escaped(result.status_id) if result.status_id else result.status_id,
    )
