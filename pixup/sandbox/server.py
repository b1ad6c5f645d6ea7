"""A local server that speaks TwitrPix (API 1 and 2), img.ly (API 1 and 2) and Imgur (API 3).

It checks credentials as the real services do (OAuth Echo signatures verified by
oauthlib's server code), stores what is uploaded on disk and serves it back. Every
route answers in the documented shapes; anything undocumented is kept plain.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from pixup.media import dimensions, sniff_type
from pixup.oauth_echo import DEFAULT_VERIFY_URL, ECHO_AUTH_HEADER, ECHO_PROVIDER_HEADER
from pixup.sandbox import oauth
from pixup.sandbox.accounts import SANDBOX, same
from pixup.sandbox.hosts import Hosts
from pixup.sandbox.imgur import ImgurSandbox

DEFAULT_MAX_SIZE = 4 * 1024 * 1024
VERIFY_PATH = "/1/account/verify_credentials.json"

TWITRPIX_ERRORS = {
    999: "Invalid or missing API key",
    1000: "Unknown error",
    1001: "Unable to authenticate",
    1002: "Media not attached",
    1003: "Media not supported",
    1004: "Media exceeds maximum size",
}
IMGLY_V1_ERRORS = {
    1001: "Invalid twitter username or password",
    1002: "Image not found",
    1003: "Invalid image type",
    1004: "Image larger than 4MB",
}


class _Failure(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Upload:
    id: str
    service: str
    api: int
    endpoint: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    message: str | None
    posted: bool
    fields: list[str]
    base64: bool
    timestamp: str


@dataclass
class State:
    """What the sandbox remembers; tests read it through ``GET /_sandbox/uploads``."""

    data_dir: Path
    max_size: int = DEFAULT_MAX_SIZE
    maintenance: bool = False
    delay: float = 0.0  # seconds every upload takes, to measure -j
    fail_next: int = 0  # answer the next N uploads with 503
    retry_after: str | None = None  # the Retry-After header of those 503s
    uploads: list[Upload] = field(default_factory=list)
    attempts: int = 0  # upload requests received, stored or not
    in_flight: int = 0
    max_in_flight: int = 0  # the most uploads handled at once, to see -j at work
    lock: threading.Lock = field(default_factory=threading.Lock)


# Room beside the media in an upload's body: boundaries, part headers, other fields.
_FORM_OVERHEAD = 1024 * 1024


def body_limit(max_size: int) -> int:
    """The largest upload body worth reading for media of at most ``max_size`` bytes:
    base64 text is 4/3 the size of its bytes, and the form around it is small."""
    return max_size * 4 // 3 + 4 + _FORM_OVERHEAD


class _TooLarge(_Failure):
    """The body is beyond the limit: answered as the service's own "too large" error."""

    def __init__(self) -> None:
        super().__init__(1004)


class _FormParser(FormDataParser):
    """werkzeug's form parser, reading 1 MiB at a time instead of 64 KiB: a big upload
    costs a quarter of the boundary searches and reads."""

    def _parse_multipart(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> Any:
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=1024 * 1024,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class _Request(Request):
    """A request whose body is limited (``max_content_length``, set per request) while it
    is read: a declared length over it is refused before a byte is read, a chunked body
    as soon as it passes it; nothing over it is spooled to disk or kept in memory."""

    form_data_parser_class = _FormParser
    # Where file parts are written as they are parsed (the store): saving one is then a
    # hard link, not a copy through a spool in the temporary folder.
    store: Path | None = None

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except RequestEntityTooLarge:
            raise _TooLarge() from None

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if self.store is None:
            return super()._get_file_stream(
                total_content_length, content_type, filename, content_length
            )
        # Deleted when the request is closed; a saved upload is another link to it.
        return tempfile.NamedTemporaryFile("w+b", dir=self.store, prefix=".part-")


def _save(upload: FileStorage, target: Path) -> None:
    """Keep an uploaded file part at ``target``: by a link to the file it was parsed into
    when that is in the store, else by a copy."""
    stream = upload.stream
    name = getattr(stream, "name", None)
    if isinstance(name, str) and Path(name).parent == target.parent:
        stream.flush()
        os.link(name, target)
    else:
        upload.save(target)


def _basic_matches(credential: str) -> bool:
    try:
        user, _, password = base64.b64decode(credential.strip()).decode().partition(":")
    except (binascii.Error, ValueError):
        return False
    return same(user, SANDBOX.username) & same(password, SANDBOX.password)


class SandboxApp:
    def __init__(self, data_dir: Path, max_size: int = DEFAULT_MAX_SIZE) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.state = State(data_dir=data_dir, max_size=max_size)
        self.hosts = Hosts(data_dir)
        self.imgur = ImgurSandbox(self._store_bytes, lambda: self.state.max_size)
        self.url_map = Map(
            [
                Rule("/", endpoint="index"),
                Rule("/1/ping.<fmt>", endpoint="ping"),
                Rule(
                    "/1/<any(upload, uploadAndPost):action>.<fmt>",
                    endpoint="twitrpix_v1",
                    methods=["POST"],
                ),
                Rule("/2/upload.<fmt>", endpoint="twitrpix_v2", methods=["POST"]),
                Rule("/api/2/upload.<fmt>", endpoint="imgly_v2", methods=["POST"]),
                Rule(
                    "/api/<any(upload, uploadAndPost):action>",
                    endpoint="imgly_v1",
                    methods=["POST"],
                ),
                Rule(VERIFY_PATH, endpoint="verify_credentials"),
                Rule("/oauth/request_token", endpoint="request_token", methods=["POST"]),
                Rule("/oauth/authorize", endpoint="authorize"),
                Rule("/oauth/access_token", endpoint="access_token", methods=["POST"]),
                Rule("/3/image", endpoint="imgur_upload", methods=["POST"]),
                Rule("/3/image/<deletehash>", endpoint="imgur_delete", methods=["DELETE"]),
                Rule("/3/credits", endpoint="imgur_credits"),
                Rule("/oauth2/authorize", endpoint="imgur_authorize"),
                Rule("/oauth2/token", endpoint="imgur_token", methods=["POST"]),
                Rule("/show/<size>/<media_id>", endpoint="show"),
                Rule("/thumb/<media_id>", endpoint="media"),
                Rule("/media/<media_id>", endpoint="media"),
                Rule("/<media_id>", endpoint="media"),
                Rule("/<name>.jpg", endpoint="imgur_thumb"),
                Rule("/hosts/i/<item>", endpoint="host_media"),
                Rule(
                    "/hosts/delete/<item>",
                    endpoint="host_delete",
                    methods=["GET", "POST", "DELETE"],
                ),
                Rule("/hosts/<kind>", endpoint="host", methods=["GET", "POST", "PUT", "PATCH"]),
                Rule("/_sandbox/hosts", endpoint="list_host_requests"),
                Rule("/_sandbox/uploads", endpoint="list_uploads"),
                Rule("/_sandbox/state", endpoint="set_state", methods=["POST"]),
            ]
        )

    # --- WSGI -----------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = _Request(environ)
        request.store = self.state.data_dir
        try:
            response = self._respond(request, environ)
        finally:
            request.close()  # the file parts it was parsed into (a kept one is linked)
        # (werkzeug's server closes every connection, discarding what was not read.)
        return response(environ, start_response)

    def _respond(self, request: _Request, environ: dict[str, Any]) -> Response:
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            uploading = endpoint.startswith(("twitrpix_", "imgly_")) or endpoint == "imgur_upload"
            request.max_content_length = self._limit_for(endpoint)
            request.max_form_memory_size = request.max_content_length
            if uploading:
                with self.state.lock:
                    self.state.in_flight += 1
                    self.state.max_in_flight = max(self.state.max_in_flight, self.state.in_flight)
            try:
                response = getattr(self, "on_" + endpoint)(request, **args)
            finally:
                if uploading:
                    with self.state.lock:
                        self.state.in_flight -= 1
        except _TooLarge:
            response = RequestEntityTooLarge().get_response(environ)
        except HTTPException as exc:
            response = exc.get_response(environ)
        assert isinstance(response, Response)
        return response

    def _limit_for(self, endpoint: str) -> int:
        """Uploads and the generic hosts read at most what the size limit needs; the
        other endpoints take small forms."""
        if endpoint.startswith(("twitrpix_", "imgly_", "imgur_upload", "host")):
            return body_limit(self.state.max_size)
        return _FORM_OVERHEAD

    # --- helpers --------------------------------------------------------------------

    @staticmethod
    def _base(request: Request) -> str:
        return request.host_url.rstrip("/")

    @staticmethod
    def _fmt(fmt: str) -> str:
        if fmt not in ("xml", "json"):
            raise NotFound()
        return fmt

    @staticmethod
    def _xml(body: str, status: int = 200) -> Response:
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
            status=status,
            content_type="application/xml; charset=utf-8",
        )

    @staticmethod
    def _json(obj: Any, status: int = 200) -> Response:
        return Response(json.dumps(obj), status=status, content_type="application/json")

    def _echo_ok(self, request: Request) -> bool:
        provider = request.headers.get(ECHO_PROVIDER_HEADER, "")
        authorization = request.headers.get(ECHO_AUTH_HEADER, "")
        own = self._base(request) + VERIFY_PATH
        if not authorization or provider not in (DEFAULT_VERIFY_URL, own):
            return False
        return oauth.verify(provider, authorization)

    def _media(self, request: Request, target: Path) -> bool:
        """Write the uploaded bytes to ``target``, from a file part (streamed, never whole
        in memory) or, in base64 mode, a text field. Returns whether it was base64."""
        is_b64 = request.form.get("base64", "").lower() == "true"
        if is_b64:
            text = request.form.get("media") or ""
            if not text and "media" in request.files:
                text = request.files["media"].read().decode("ascii", "replace")
            if not text:
                raise _Failure(1002)
            try:
                target.write_bytes(base64.b64decode(text, validate=True))
            except (binascii.Error, ValueError):
                raise _Failure(1003) from None
            return True
        upload = request.files.get("media")
        if upload is None:
            raise _Failure(1002)
        _save(upload, target)
        return False

    def _check_and_store(
        self, request: Request, service: str, api: int, endpoint: str, posted: bool
    ) -> Upload:
        media_id = _new_id()
        path = self.state.data_dir / media_id
        try:
            was_b64 = self._media(request, path)
            size = path.stat().st_size
            with open(path, "rb") as fh:
                head = fh.read(256 * 1024)
            if size == 0:
                raise _Failure(1002)
            kind = sniff_type(head[:16])
            if kind not in ("image/jpeg", "image/png", "image/gif"):
                raise _Failure(1003)
            if size > self.state.max_size:
                raise _Failure(1004)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        dims = dimensions(head)
        record = Upload(
            id=media_id,
            service=service,
            api=api,
            endpoint=endpoint,
            content_type=kind,
            size=size,
            width=dims[0] if dims else None,
            height=dims[1] if dims else None,
            message=request.form.get("message"),
            posted=posted,
            fields=sorted(set(request.form.keys()) | set(request.files.keys())),
            base64=was_b64,
            timestamp=formatdate(time.time(), usegmt=True),
        )
        (self.state.data_dir / f"{media_id}.json").write_text(json.dumps(asdict(record)))
        with self.state.lock:
            self.state.uploads.append(record)
        return record

    def _store_bytes(
        self,
        service: str,
        api: int,
        endpoint: str,
        data: bytes,
        message: str | None,
        fields: list[str],
    ) -> str:
        """Keep an upload checked elsewhere (Imgur's); its id, 7 characters as Imgur's."""
        media_id = _new_id() + _new_id()[0]
        (self.state.data_dir / media_id).write_bytes(data)
        dims = dimensions(data[: 256 * 1024])
        record = Upload(
            id=media_id,
            service=service,
            api=api,
            endpoint=endpoint,
            content_type=sniff_type(data[:16]) or "application/octet-stream",
            size=len(data),
            width=dims[0] if dims else None,
            height=dims[1] if dims else None,
            message=message,
            posted=False,
            fields=fields,
            base64=False,
            timestamp=formatdate(time.time(), usegmt=True),
        )
        (self.state.data_dir / f"{media_id}.json").write_text(json.dumps(asdict(record)))
        with self.state.lock:
            self.state.uploads.append(record)
        return media_id

    def _unavailable(self) -> Response | None:
        """Maintenance, a programmed 503, or the configured delay: before any upload."""
        with self.state.lock:
            self.state.attempts += 1
            failing = self.state.fail_next > 0
            if failing:
                self.state.fail_next -= 1
        if self.state.delay:
            time.sleep(self.state.delay)
        if self.state.maintenance or failing:
            headers = {"Retry-After": self.state.retry_after} if self.state.retry_after else {}
            return Response("service unavailable, try again later", status=503, headers=headers)
        return None

    # --- TwitrPix -------------------------------------------------------------------

    def _twitrpix_fail(self, fmt: str, code: int) -> Response:
        msg = TWITRPIX_ERRORS[code]
        if fmt == "json":
            return self._json(
                {"response": {"status": "fail", "error": {"code": code, "msg": msg}}}, 400
            )
        return self._xml(
            f'<response status="fail"><error code="{code}" msg={quoteattr(msg)} /></response>',
            400,
        )

    def _twitrpix_ok(self, request: Request, fmt: str, up: Upload) -> Response:
        base = self._base(request)
        media = {
            "id": up.id,
            "url": f"{base}/{up.id}",
            "text": f"{base}/{up.id} [pic] {up.message or ''}".rstrip(),
            "thumb": f"{base}/thumb/{up.id}",
            "full": f"{base}/{up.id}",
        }
        user = {
            "id": SANDBOX.user_id,
            "screen_name": SANDBOX.screen_name,
            "profile_url": f"{base}/user/{SANDBOX.screen_name}",
        }
        if fmt == "json":
            return self._json({"response": {"media": media, "user": user}})
        return self._xml(
            "<response><media>"
            + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in media.items())
            + "</media><user>"
            + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in user.items())
            + "</user></response>"
        )

    def on_ping(self, request: Request, fmt: str) -> Response:
        fmt = self._fmt(fmt)
        message = "maintenance" if self.state.maintenance else "pong"
        if fmt == "json":
            return self._json({"response": {"status": "ok", "message": message}})
        return self._xml(f'<response status="ok"><message>{message}</message></response>')

    def on_twitrpix_v1(self, request: Request, action: str, fmt: str) -> Response:
        def authenticate() -> bool:
            names = ("consumer_token", "consumer_secret", "oauth_token", "oauth_secret")
            expected = (
                SANDBOX.consumer_key,
                SANDBOX.consumer_secret,
                SANDBOX.token,
                SANDBOX.token_secret,
            )
            # Every field is compared, matching or not (no early way out to time).
            return all([same(request.form.get(n), e) for n, e in zip(names, expected, strict=True)])

        return self._twitrpix_upload(request, fmt, 1, action, authenticate)

    def on_twitrpix_v2(self, request: Request, fmt: str) -> Response:
        return self._twitrpix_upload(request, fmt, 2, "upload", lambda: self._echo_ok(request))

    def _twitrpix_upload(
        self,
        request: Request,
        fmt: str,
        api: int,
        action: str,
        authenticate: Callable[[], bool],
    ) -> Response:
        """Both TwitrPix APIs: the API key, then the API's own authentication, then the media."""
        fmt = self._fmt(fmt)
        busy = self._unavailable()
        if busy is not None:
            return busy
        try:
            if not same(request.form.get("api_key"), SANDBOX.api_key):
                raise _Failure(999)
            if not authenticate():
                raise _Failure(1001)
            up = self._check_and_store(
                request, "twitrpix", api, action, posted=action == "uploadAndPost"
            )
        except _Failure as failure:
            return self._twitrpix_fail(fmt, failure.code)
        return self._twitrpix_ok(request, fmt, up)

    # --- img.ly ---------------------------------------------------------------------

    def on_imgly_v2(self, request: Request, fmt: str) -> Response:
        fmt = self._fmt(fmt)
        busy = self._unavailable()
        if busy is not None:
            return busy
        if not self._echo_ok(request):
            return Response("OAuth Echo credentials missing or not verified", status=401)
        try:
            up = self._check_and_store(request, "imgly", 2, "upload", posted=False)
        except _Failure as failure:
            return Response(f"bad request: {IMGLY_V1_ERRORS[failure.code]}", status=400)
        image: dict[str, Any] = {
            "id": up.id,
            "text": up.message or "",
            "url": f"{self._base(request)}/{up.id}",
            "width": up.width,
            "height": up.height,
            "size": up.size,
            "type": up.content_type.split("/")[1],
            "timestamp": up.timestamp,
            "user": {"id": int(SANDBOX.user_id), "screen_name": SANDBOX.screen_name},
        }
        if fmt == "json":
            return self._json(image)
        user = image.pop("user")
        return self._xml(
            "<image>"
            + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in image.items())
            + f"<user><id>{user['id']}</id><screen_name>{escape(user['screen_name'])}"
            "</screen_name></user></image>"
        )

    def on_imgly_v1(self, request: Request, action: str) -> Response:
        busy = self._unavailable()
        if busy is not None:
            return busy
        try:
            if not (
                same(request.form.get("username"), SANDBOX.username)
                & same(request.form.get("password"), SANDBOX.password)
            ):
                raise _Failure(1001)
            up = self._check_and_store(
                request, "imgly", 1, action, posted=action == "uploadAndPost"
            )
        except _Failure as failure:
            msg = IMGLY_V1_ERRORS[failure.code]
            return self._xml(
                f'<rsp stat="fail"><err code="{failure.code}" msg={quoteattr(msg)} /></rsp>'
            )
        extra = ""
        if up.posted:
            extra = f"<statusid>{_new_status_id()}</statusid><userid>{SANDBOX.user_id}</userid>"
        return self._xml(
            f'<rsp stat="ok">{extra}<mediaid>{up.id}</mediaid>'
            f"<mediaurl>{escape(self._base(request))}/{up.id}</mediaurl></rsp>"
        )

    def on_show(self, request: Request, size: str, media_id: str) -> Response:
        if size not in ("mini", "thumb", "medium", "large", "full"):
            raise NotFound()
        self._stored(media_id)
        # The sandbox keeps one size; like img.ly it redirects to the image itself.
        return Response(status=302, headers={"Location": f"{self._base(request)}/media/{media_id}"})

    def on_media(self, request: Request, media_id: str) -> Response:
        path, meta = self._stored(media_id)
        return Response(path.read_bytes(), content_type=meta["content_type"])

    def _stored(self, media_id: str) -> tuple[Path, dict[str, Any]]:
        if not media_id.isalnum():
            raise NotFound()
        path = self.state.data_dir / media_id
        meta_path = self.state.data_dir / f"{media_id}.json"
        if not path.is_file() or not meta_path.is_file():
            raise NotFound()
        return path, json.loads(meta_path.read_text())

    # --- the OAuth provider and the sandbox's own routes ----------------------------

    def on_verify_credentials(self, request: Request) -> Response:
        # RFC 5849 3.5: the protocol parameters may come in the header or the query.
        uri = self._base(request) + VERIFY_PATH
        query = request.query_string.decode("ascii", "replace")
        authorization = request.headers.get("Authorization", "")
        if authorization[:6].lower() == "basic ":
            # Twitter's API 1 took the account's name and password too (HTTP Basic), as
            # img.ly API 1 does: what `config login` checks them against.
            ok = _basic_matches(authorization[6:])
        else:
            ok = bool(authorization or query) and oauth.verify(
                f"{uri}?{query}" if query else uri, authorization or None
            )
        if not ok:
            return self._json(
                {"errors": [{"code": 32, "message": "Could not authenticate you."}]}, 401
            )
        return self._json({"id": int(SANDBOX.user_id), "screen_name": SANDBOX.screen_name})

    def _oauth_step(self, request: Request, step: Callable[..., tuple[int, str]]) -> Response:
        uri = self._base(request) + request.path
        headers = {"Authorization": request.headers.get("Authorization", "")}
        if request.mimetype == "application/x-www-form-urlencoded":
            headers["Content-Type"] = request.mimetype
        status, text = step(uri, request.get_data(as_text=True), headers)
        return Response(text, status=status, content_type="application/x-www-form-urlencoded")

    def on_request_token(self, request: Request) -> Response:
        return self._oauth_step(request, oauth.request_token)

    def on_access_token(self, request: Request) -> Response:
        return self._oauth_step(request, oauth.access_token)

    def on_authorize(self, request: Request) -> Response:
        pin = oauth.authorize(request.args.get("oauth_token", ""))
        if pin is None:
            return Response(
                "unknown or expired request token", status=400, content_type="text/plain"
            )
        page = (
            f"<html><body><p>pixup sandbox: @{SANDBOX.screen_name} authorized the application."
            f'</p><p>PIN: <code id="pin">{pin}</code></p></body></html>'
        )
        return Response(page, content_type="text/html")

    # --- Imgur (pixup.sandbox.imgur) ---------------------------------------------------

    def on_imgur_upload(self, request: Request) -> Response:
        unavailable = self._unavailable()
        return unavailable or self.imgur.upload(request)

    def on_imgur_delete(self, request: Request, deletehash: str) -> Response:
        return self.imgur.delete(request, deletehash)

    def on_imgur_credits(self, request: Request) -> Response:
        return self.imgur.credits_page(request)

    def on_imgur_thumb(self, request: Request, name: str) -> Response:
        # Imgur's thumbnails: the id and a size letter; the sandbox keeps one size.
        if len(name) == 8 and name[-1] in "sbtmlh":
            return self.on_media(request, name[:-1])
        return self.on_media(request, name)

    def on_imgur_authorize(self, request: Request) -> Response:
        return self.imgur.authorize(request)

    def on_imgur_token(self, request: Request) -> Response:
        return self.imgur.token(request)

    def on_index(self, request: Request) -> Response:
        return Response(
            "pixup sandbox: TwitrPix and img.ly APIs for testing\n", content_type="text/plain"
        )

    def on_host(self, request: Request, kind: str) -> Response:
        return self.hosts.handle(request, kind)

    def on_host_delete(self, request: Request, item: str) -> Response:
        return self.hosts.delete(item)

    def on_host_media(self, request: Request, item: str) -> Response:
        return self.hosts.media(item)

    def on_list_host_requests(self, request: Request) -> Response:
        with self.hosts.lock:
            return self._json(list(self.hosts.requests))

    def on_list_uploads(self, request: Request) -> Response:
        with self.state.lock:
            return self._json([asdict(u) for u in self.state.uploads])

    def on_set_state(self, request: Request) -> Response:
        try:
            changes = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            return Response("body must be a JSON object", status=400)
        if not isinstance(changes, dict):
            return Response("body must be a JSON object", status=400)
        try:
            checked = _checked_state(changes)
        except (TypeError, ValueError) as exc:
            return Response(f"bad state: {exc}\n", status=400, content_type="text/plain")
        for name, value in checked.items():
            if name not in _NOT_STATE:
                setattr(self.state, name, value)
        if changes.get("clear"):
            with self.hosts.lock:
                self.hosts.requests.clear()
            with self.state.lock:
                self.state.uploads.clear()
                self.state.attempts = 0
                self.state.max_in_flight = 0
        return self._json(
            {
                **self.imgur.change(changes),
                "maintenance": self.state.maintenance,
                "max_size": self.state.max_size,
                "delay": self.state.delay,
                "fail_next": self.state.fail_next,
                "attempts": self.state.attempts,
                "max_in_flight": self.state.max_in_flight,
            }
        )


# What POST /_sandbox/state may change, and the test each new value must pass.
_STATE_FIELDS: dict[str, tuple[type | tuple[type, ...], Callable[[Any], bool], str]] = {
    "maintenance": (bool, lambda v: True, "true or false"),
    "max_size": (int, lambda v: 0 < v <= 2**40, "a number of bytes, 1 to 2**40"),
    "delay": ((int, float), lambda v: 0 <= v <= 600, "seconds, 0 to 600"),
    "fail_next": (int, lambda v: 0 <= v <= 10**6, "a count, 0 to 1000000"),
    "retry_after": (
        (str, type(None)),
        lambda v: v is None or (len(v) < 100 and v.isprintable()),
        "a Retry-After value (text) or null",
    ),
    # Kept by the Imgur part, and actions rather than values:
    "imgur_credits": (int, lambda v: 0 <= v <= 10**6, "a count, 0 to 1000000"),
    "imgur_expire": (bool, lambda v: True, "true or false"),
    "clear": (bool, lambda v: True, "true or false"),
}
_NOT_STATE = ("imgur_credits", "imgur_expire", "clear")


def _checked_state(changes: dict[str, Any]) -> dict[str, Any]:
    """The sandbox state ``changes`` asks for, every value checked before any is set."""
    unknown = sorted(set(changes) - set(_STATE_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(_STATE_FIELDS)}"
        )
    checked = {}
    for name, (kinds, valid, what) in _STATE_FIELDS.items():
        if name not in changes:
            continue
        value = changes[name]
        # bool is an int in Python; a count or size given as true is still a mistake.
        wrong_kind = isinstance(value, bool) and kinds is not bool
        if wrong_kind or not isinstance(value, kinds) or not valid(value):
            raise ValueError(f"{name} must be {what}, not {json.dumps(value)}")
        checked[name] = value
    return checked


def _new_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


def _new_status_id() -> str:
    return str(secrets.randbelow(10**12) + 10**11)
