"""Imgur API 3 as the sandbox speaks it: ``POST /3/image`` (``Client-ID`` or ``Bearer``),
``DELETE /3/image/<deletehash>``, ``GET /3/credits``, and the OAuth 2 PIN flow
(``/oauth2/authorize``, ``POST /oauth2/token`` with ``grant_type=pin`` or
``refresh_token``). Every answer carries Imgur's ``X-RateLimit-*`` headers; the tests can
spend the client's credits and expire the access tokens through ``/_sandbox/state``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from pixup.media import dimensions, sniff_type
from pixup.sandbox.accounts import SANDBOX, one_of, same

CLIENT_LIMIT = 12500
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}

# (service, api, endpoint, bytes, message, field names) -> the stored upload's id
Store = Callable[[str, int, str, bytes, "str | None", list[str]], str]


def _token() -> str:
    return secrets.token_hex(20)


class ImgurSandbox:
    def __init__(self, store: Store, max_size: Callable[[], int]) -> None:
        self.store = store
        self.max_size = max_size
        self.lock = threading.Lock()
        self.credits = CLIENT_LIMIT
        self.access: dict[str, bool] = {}  # access token -> still valid
        self.refresh: set[str] = set()
        self.pins: set[str] = set()
        self.deletehashes: dict[str, str] = {}  # deletehash -> image id

    # --- answers ------------------------------------------------------------------------

    def _answer(self, data: Any, status: int = 200, path: str = "/3/image") -> Response:
        if status >= 400 and not isinstance(data, dict):
            data = {"error": data, "request": path, "method": "POST"}
        body = {"data": data, "success": status < 400, "status": status}
        return Response(
            json.dumps(body),
            status=status,
            content_type="application/json",
            headers=self._limits(),
        )

    def _limits(self) -> dict[str, str]:
        return {
            "X-RateLimit-ClientLimit": str(CLIENT_LIMIT),
            "X-RateLimit-ClientRemaining": str(self.credits),
            "X-RateLimit-UserLimit": "2000",
            "X-RateLimit-UserRemaining": "2000",
            "X-RateLimit-UserReset": str(int(time.time()) + 3600),
        }

    def _who(self, request: Request) -> str | None:
        """An error message when the request's Authorization is not accepted."""
        auth = request.headers.get("Authorization", "")
        kind, _, value = auth.partition(" ")
        if kind == "Client-ID":
            return None if same(value, SANDBOX.imgur_client_id) else "Invalid client_id"
        if kind == "Bearer":
            found = [t for t in list(self.access) if same(value, t)]
            valid = self.access.get(found[0]) if found else None
            if valid is None:
                return "The access token provided is invalid."
            return None if valid else "The access token provided has expired."
        return "Authentication required"

    # --- the API ------------------------------------------------------------------------

    def upload(self, request: Request) -> Response:
        refused = self._who(request)
        if refused:
            return self._answer(refused, 403)
        with self.lock:
            if self.credits <= 0:
                return self._answer("Too Many Requests", 429)
            self.credits -= 1
        upload = request.files.get("image")
        data = upload.read() if upload is not None else b""
        if not data:
            return self._answer("No image data was sent to the upload api", 400)
        kind = sniff_type(data[:16])
        if kind not in TYPES:
            # Imgur's error can be an object with a message, as here.
            return self._answer({"error": {"code": 1003, "message": "File type invalid (1)"}}, 400)
        if len(data) > self.max_size():
            return self._answer("File is over the size limit", 400)
        title = request.form.get("title")
        fields = sorted(set(request.form) | set(request.files))
        image_id = self.store("imgur", 3, "image", data, title, fields)
        deletehash = secrets.token_hex(8)
        with self.lock:
            self.deletehashes[deletehash] = image_id
        dims = dimensions(data[: 256 * 1024])
        base = request.host_url.rstrip("/")
        return self._answer(
            {
                "id": image_id,
                "title": title,
                "description": request.form.get("description"),
                "datetime": int(time.time()),
                "type": kind,
                "animated": False,
                "width": dims[0] if dims else 0,
                "height": dims[1] if dims else 0,
                "size": len(data),
                "views": 0,
                "bandwidth": 0,
                "deletehash": deletehash,
                "name": "",
                "link": f"{base}/{image_id}",
            }
        )

    def delete(self, request: Request, deletehash: str) -> Response:
        refused = self._who(request)
        if refused:
            return self._answer(refused, 403, f"/3/image/{deletehash}")
        with self.lock:
            found = self.deletehashes.pop(deletehash, None)
        if found is None:
            return self._answer(
                "Unable to find an image with the id", 404, f"/3/image/{deletehash}"
            )
        return self._answer(True)

    def credits_page(self, request: Request) -> Response:
        refused = self._who(request)
        if refused:
            return self._answer(refused, 403, "/3/credits")
        return self._answer({"ClientLimit": CLIENT_LIMIT, "ClientRemaining": self.credits})

    # --- OAuth 2 ------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        if not same(request.args.get("client_id"), SANDBOX.imgur_client_id) or (
            request.args.get("response_type") != "pin"
        ):
            return Response("unknown client or response type", 400, content_type="text/plain")
        pin = str(secrets.randbelow(9 * 10**9) + 10**9)
        with self.lock:
            self.pins.add(pin)
        page = (
            f"<html><body><p>pixup sandbox: {SANDBOX.screen_name} allowed the application on "
            f'Imgur.</p><p>PIN: <code id="pin">{pin}</code></p></body></html>'
        )
        return Response(page, content_type="text/html")

    def token(self, request: Request) -> Response:
        form = request.form
        if not (
            same(form.get("client_id"), SANDBOX.imgur_client_id)
            & same(form.get("client_secret"), SANDBOX.imgur_client_secret)
        ):
            return self._answer("Invalid client credentials", 401, "/oauth2/token")
        grant = form.get("grant_type")
        with self.lock:
            if grant == "pin" and one_of(form.get("pin"), self.pins):
                self.pins.discard(form.get("pin", ""))
                refresh = _token()
                self.refresh.add(refresh)
            elif grant == "refresh_token" and one_of(form.get("refresh_token"), self.refresh):
                refresh = form.get("refresh_token", "")
            else:
                return self._answer(f"Invalid grant ({grant})", 400, "/oauth2/token")
            access = _token()
            self.access[access] = True
        answer = {
            "access_token": access,
            "expires_in": 315360000,
            "token_type": "bearer",
            "scope": None,
            "refresh_token": refresh,
            "account_id": int(SANDBOX.user_id),
            "account_username": SANDBOX.screen_name,
        }
        return Response(json.dumps(answer), content_type="application/json")

    # --- for the tests --------------------------------------------------------------------

    def change(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "imgur_credits" in changes:
                self.credits = int(changes["imgur_credits"])
            if changes.get("imgur_expire"):
                self.access = dict.fromkeys(self.access, False)
            if changes.get("clear"):
                self.credits = CLIENT_LIMIT
            return {"imgur_credits": self.credits, "imgur_tokens": len(self.access)}
