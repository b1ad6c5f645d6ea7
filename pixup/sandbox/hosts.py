"""Generic image hosts, to try custom providers (ShareX uploaders) against: each
``/hosts/<kind>`` takes the file the way one family of real hosts does and answers in its
shape. They never redirect an upload, except ``/hosts/redirect``, which exists to be refused.

=========  ======================================  ==========================================
kind       takes                                   answers
=========  ======================================  ==========================================
json       multipart, ``Authorization: Bearer``    JSON ``{"data": {"link", "thumb", ...}}``
xml        multipart, form field ``api_key``         XML ``<rsp stat="ok"><image>...``
text       the file as the body, ``X-Api-Key``     the URL as plain text, 201
form       urlencoded base64 ``image``, ``?key=``  JSON like imgbb's
jsonbody   JSON ``{"image": base64, "name"}``      JSON ``{"files": [{"url"}]}``
xmlbody    XML ``<upload><data>base64``            XML ``<upload><url>``
query      no body; ``?image=base64&key=``         the URL as plain text
redirect   anything                                302 to ``/hosts/elsewhere``
chevereto  multipart ``source``, field ``key``      Chevereto API 1: JSON ``{"status_code",
                                                   "image": {"url", ...}}``, errors in it; with
                                                   ``format=redirect`` a 302 to the image
nsxml      multipart, form field ``api_key``         XML in a namespace (``urn:example:img``)
twitpic    multipart ``media``, field ``key``       XML ``<rsp stat="ok">``, and its failures
                                                   (``stat="fail"``) with HTTP 200 too
=========  ======================================  ==========================================
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import threading
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from pixup.media import sniff_type
from pixup.sandbox.accounts import SANDBOX, same

KINDS = (
    "json",
    "xml",
    "text",
    "form",
    "jsonbody",
    "xmlbody",
    "query",
    "redirect",
    "elsewhere",
    "chevereto",
    "twitpic",
    "nsxml",
)


# Query parameters whose values are credentials (``?key=``, ``?access_token=``).
_SECRET_NAME = re.compile(r"key|token|secret|pass|auth|sig", re.IGNORECASE)
# The sandbox account's own secrets, by name: a listing says which one was sent.
_KNOWN = {
    getattr(SANDBOX, name): name
    for name in ("host_token", "host_key", "api_key", "token", "consumer_key", "imgur_client_id")
}


def masked(value: str | None) -> str | None:
    """What the listing (``GET /_sandbox/hosts``) shows of a credential: which of the
    sandbox's own it is (``Bearer <host_token>``), or only its length; never the value,
    since anyone who can reach a sandbox left running can read the listing."""
    if value is None:
        return None
    scheme, _, rest = value.partition(" ")
    if rest and rest in _KNOWN:
        return f"{scheme} <{_KNOWN[rest]}>"
    if value in _KNOWN:
        return f"<{_KNOWN[value]}>"
    return f"*** ({len(value)} characters)"


class Hosts:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def handle(self, request: Request, kind: str) -> Response:
        record: dict[str, Any] = {
            "kind": kind,
            "method": request.method,
            "content_type": request.mimetype,
            "query": {
                k: masked(v) if _SECRET_NAME.search(k) else v for k, v in request.args.items()
            },
            "authorization": masked(request.headers.get("Authorization")),
            "api_key": masked(request.headers.get("X-Api-Key")),
        }
        try:
            response = self._answer(request, kind, record)
        finally:
            with self.lock:
                self.requests.append(record)
        return response

    def _answer(self, request: Request, kind: str, record: dict[str, Any]) -> Response:
        answer = getattr(self, f"_kind_{kind}", None) if kind in KINDS else None
        if answer is None:
            return Response("no such host kind\n", 404, content_type="text/plain")
        response: Response = answer(request, request.host_url.rstrip("/"), record)
        return response

    def _kind_json(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        record["fields"] = sorted(request.form)
        record["empty_fields"] = sorted(k for k, v in request.form.items() if not v)
        if not _bearer(request):
            return _json(
                {"success": False, "status": 401, "error": {"message": "Invalid token"}}, 401
            )
        upload = next(iter(request.files.values()), None)
        data = upload.read() if upload is not None else b""
        record["file_field"] = next(iter(request.files), None)
        item = self._store(data, (upload.filename or "") if upload else "", record)
        if item is None:
            return _json({"success": False, "status": 400, "error": {"message": "No image"}}, 400)
        return _json({"success": True, "status": 200, "data": self._links(base, item)})

    def _kind_xml(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        record["fields"] = sorted(request.form)
        if not same(request.form.get("api_key"), SANDBOX.host_key):
            return _xml('<rsp stat="fail"><err code="100" msg="Invalid API key"/></rsp>', 403)
        upload = next(iter(request.files.values()), None)
        item = self._store(
            upload.read() if upload else b"", (upload.filename or "") if upload else "", record
        )
        if item is None:
            return _xml('<rsp stat="fail"><err code="2" msg="No image"/></rsp>', 400)
        links = self._links(base, item)
        return _xml(
            f'<rsp stat="ok"><image id="{item}"><url>{escape(links["link"])}</url>'
            f"<thumb>{escape(links['thumb'])}</thumb>"
            f"<delete>{escape(links['delete'])}</delete></image></rsp>"
        )

    def _kind_nsxml(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        """A host answering in an XML namespace: a plain path finds nothing in it."""
        record["fields"] = sorted(request.form)
        if not same(request.form.get("api_key"), SANDBOX.host_key):
            return _xml(
                '<result xmlns="urn:example:img" ok="false"><error>Bad key</error></result>', 403
            )
        upload = next(iter(request.files.values()), None)
        item = self._store(
            upload.read() if upload else b"", (upload.filename or "") if upload else "", record
        )
        if item is None:
            return _xml(
                '<result xmlns="urn:example:img" ok="false"><error>No image</error></result>', 400
            )
        links = self._links(base, item)
        return _xml(
            f'<result xmlns="urn:example:img" ok="true"><image id="{item}">'
            f"<image_link>{escape(links['link'])}</image_link>"
            f"<thumb_link>{escape(links['thumb'])}</thumb_link></image></result>"
        )

    def _kind_text(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        if not same(request.headers.get("X-Api-Key"), SANDBOX.host_key):
            return Response("error: bad api key\n", 401, content_type="text/plain")
        item = self._store(request.get_data(), "", record)
        if item is None:
            return Response("error: not an image\n", 415, content_type="text/plain")
        links = self._links(base, item)
        return Response(
            links["link"] + "\n",
            201,
            content_type="text/plain",
            headers={"X-Delete-Url": links["delete"]},
        )

    def _kind_form(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        record["fields"] = sorted(request.form)
        if not same(request.args.get("key"), SANDBOX.host_key):
            return _json({"status_code": 400, "error": {"message": "Invalid API v1 key."}}, 400)
        item = self._store(
            _b64(request.form.get("image", "")), request.form.get("name", ""), record
        )
        if item is None:
            return _json({"status_code": 400, "error": {"message": "Empty upload source."}}, 400)
        links = self._links(base, item)
        return _json(
            {
                "data": {
                    "url": links["link"],
                    "thumb": {"url": links["thumb"]},
                    "delete_url": links["delete"],
                },
                "success": True,
                "status": 200,
            }
        )

    def _kind_jsonbody(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        if not _bearer(request):
            return _json({"error": "unauthorized"}, 401)
        try:
            doc = json.loads(request.get_data())
        except ValueError:
            return _json({"error": "the body is not JSON"}, 400)
        item = self._store(_b64(doc.get("image", "")), doc.get("name", ""), record)
        if item is None:
            return _json({"error": "no image"}, 400)
        return _json({"files": [{"url": self._links(base, item)["link"]}]})

    def _kind_xmlbody(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        from defusedxml import ElementTree

        try:
            root = ElementTree.fromstring(request.get_data(), forbid_dtd=True)
        except Exception:
            return _xml("<error>the body is not XML</error>", 400)
        if not same(root.findtext("key"), SANDBOX.host_key):
            return _xml("<error>bad key</error>", 403)
        item = self._store(_b64(root.findtext("data") or ""), root.findtext("name") or "", record)
        if item is None:
            return _xml("<error>no image</error>", 400)
        return _xml(f"<upload><url>{escape(self._links(base, item)['link'])}</url></upload>")

    def _kind_query(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        if not same(request.args.get("key"), SANDBOX.host_key):
            return Response("bad key\n", 403, content_type="text/plain")
        item = self._store(
            _b64(request.args.get("image", "")), request.args.get("name", ""), record
        )
        if item is None:
            return Response("no image\n", 400, content_type="text/plain")
        return Response(self._links(base, item)["link"], content_type="text/plain")

    def _kind_redirect(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        return Response("moved\n", 302, headers={"Location": f"{base}/hosts/elsewhere"})

    def _kind_chevereto(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        """Chevereto's API 1 (``/api/1/upload``): the key in a field, the file in
        ``source``; ``format=redirect`` answers with a redirect to the image's page."""
        record["fields"] = sorted(request.form)
        if not same(request.form.get("key"), SANDBOX.host_key):
            error = {"message": "Invalid API v1 key.", "code": 100, "context": "Exception"}
            return _json({"status_code": 400, "error": error, "status_txt": "Bad Request"}, 400)
        upload = request.files.get("source")
        item = self._store(
            upload.read() if upload else b"", (upload.filename or "") if upload else "", record
        )
        if item is None:
            error = {"message": "Invalid image source", "code": 310, "context": "Exception"}
            return _json({"status_code": 400, "error": error, "status_txt": "Bad Request"}, 400)
        links = self._links(base, item)
        if request.form.get("format") == "redirect":
            return Response("", 302, headers={"Location": f"/hosts/i/{item}"})
        image = {
            "url": links["link"],
            "thumb": {"url": links["thumb"]},
            "delete_url": links["delete"],
        }
        return _json({"status_code": 200, "success": {"code": 200}, "image": image})

    def _kind_twitpic(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        """TwitPic's API: every answer is HTTP 200, a failure says so only in its body."""
        record["fields"] = sorted(request.form)
        if not same(request.form.get("key"), SANDBOX.host_key):
            return _xml('<rsp stat="fail"><err code="1001" msg="Invalid API key or login"/></rsp>')
        upload = request.files.get("media")
        item = self._store(
            upload.read() if upload else b"", (upload.filename or "") if upload else "", record
        )
        if item is None:
            return _xml('<rsp stat="fail"><err code="1002" msg="Image not found"/></rsp>')
        link = escape(self._links(base, item)["link"])
        return _xml(f'<rsp stat="ok"><mediaid>{item}</mediaid><mediaurl>{link}</mediaurl></rsp>')

    def _kind_elsewhere(self, request: Request, base: str, record: dict[str, Any]) -> Response:
        return _json({"data": {"link": f"{base}/hosts/i/stolen.png"}})

    def _store(self, data: bytes, filename: str, record: dict[str, Any]) -> str | None:
        record["filename"] = filename
        record["size"] = len(data)
        record["sha256"] = hashlib.sha256(data).hexdigest()
        if not data or sniff_type(data[:16]) is None:
            return None
        item = secrets.token_hex(4)
        (self.data_dir / f"host-{item}").write_bytes(data)
        return item

    @staticmethod
    def _links(base: str, item: str) -> dict[str, str]:
        return {
            "id": item,
            "link": f"{base}/hosts/i/{item}",
            "thumb": f"{base}/hosts/i/{item}?size=thumb",
            "delete": f"{base}/hosts/delete/{item}",
        }

    def delete(self, item: str) -> Response:
        """``GET /hosts/delete/<item>``: the deletion URL the hosts hand out."""
        path = self.data_dir / f"host-{item}"
        if not item.isalnum() or not path.is_file():
            return Response("no such image\n", 404, content_type="text/plain")
        path.unlink()
        return Response("deleted\n", content_type="text/plain")

    def media(self, item: str) -> Response:
        path = self.data_dir / f"host-{item}"
        if not item.isalnum() or not path.is_file():
            return Response("not found\n", 404, content_type="text/plain")
        data = path.read_bytes()
        return Response(data, content_type=sniff_type(data[:16]) or "application/octet-stream")


def _bearer(request: Request) -> bool:
    return same(request.headers.get("Authorization"), f"Bearer {SANDBOX.host_token}")


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj), status=status, content_type="application/json")


def _xml(body: str, status: int = 200) -> Response:
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
        status=status,
        content_type="application/xml; charset=utf-8",
    )
