"""Imgur: API 3, anonymous with an application's Client-ID, or as the user's account with
an OAuth 2 bearer token (obtained with Imgur's PIN flow, renewed when it expires).

``POST {base}/3/image`` with the file in the multipart field ``image``; the answer is JSON
``{"data": {...}, "success": true, "status": 200}``, and a failure carries
``data.error`` (a string, or an object with a ``message``). Rate limits come in
``X-RateLimit-*`` headers: a client whose daily credits are spent is told so, not retried.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pixup.errors import (
    AuthError,
    PixupError,
    RejectedError,
    ServerError,
    UsageError,
    error_for_status,
)
from pixup.providers import decode
from pixup.providers.base import (
    Provider,
    Target,
    answered_at_all,
    check_media_id,
    media_part,
    reject_options,
)
from pixup.specs import AskValues, CredentialSpec, LoginStep, OAuth2Pin

if TYPE_CHECKING:
    from pixup.models import (
        Credentials,
        PingResult,
        RawResponse,
        RequestSpec,
        UploadParams,
        UploadResult,
    )

_LOGIN = "pixup config login --service imgur"
_ACCOUNT_LOGIN = _LOGIN + " --account"

# Not a secret: Imgur puts it in the authorize page's URL and in browsers' requests.
CLIENT_ID = CredentialSpec(
    "client_id",
    "Imgur client ID",
    "PIXUP_IMGUR_CLIENT_ID",
    secret=False,
    store="imgur.client_id",
    login=_LOGIN,
    flag="--client-id",
    flag_help="Your Imgur application's client ID (not secret).",
    help="your Imgur application's client ID (not secret)",
)
CLIENT_SECRET = CredentialSpec(
    "client_secret",
    "Imgur client secret",
    "PIXUP_IMGUR_CLIENT_SECRET",
    secret=True,
    store="imgur.client_secret",
    login=_ACCOUNT_LOGIN,
    stdin=True,
)
ACCESS_TOKEN = CredentialSpec(
    "access_token",
    "Imgur access token",
    "PIXUP_IMGUR_ACCESS_TOKEN",
    secret=True,
    store="imgur.access_token",
    login=_ACCOUNT_LOGIN,
)
REFRESH_TOKEN = CredentialSpec(
    "refresh_token",
    "Imgur refresh token",
    "PIXUP_IMGUR_REFRESH_TOKEN",
    secret=True,
    store="imgur.refresh_token",
    login=_ACCOUNT_LOGIN,
)

ANONYMOUS = AskValues(
    title="Imgur",
    values=(CLIENT_ID,),
    note="Uploads go to Imgur anonymously; `pixup config login -s imgur --account` "
    "uploads to your account instead.",
)
ACCOUNT = OAuth2Pin(
    title="Imgur",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    access_token=ACCESS_TOKEN,
    refresh_token=REFRESH_TOKEN,
)

# Imgur's thumbnail suffixes: small square, big square, small, medium, large, huge.
SIZES = ("s", "b", "t", "m", "l", "h")
# What the rate-limit headers count, and what to tell the user when it runs out.
_LIMITS = (
    ("x-ratelimit-clientremaining", "the client ID's credits for today are spent"),
    ("x-ratelimit-userremaining", "this network's upload credits are spent"),
)


class Imgur(Provider):
    name = "imgur"
    title = "Imgur"
    default_base_url = "https://api.imgur.com"
    apis = (3,)
    default_api = 3
    formats = ("json",)
    thumb_sizes = SIZES
    default_thumb_size = "t"
    hosts = frozenset({"imgur.com", "www.imgur.com", "i.imgur.com", "m.imgur.com", "api.imgur.com"})
    max_size = 20 * 1024 * 1024
    accepted_types = ("image/jpeg", "image/png", "image/gif", "image/webp")
    credentials = (CLIENT_ID, CLIENT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN)

    page_base = "https://imgur.com"
    image_base = "https://i.imgur.com"

    def required_credentials(self, api: int, post: bool) -> tuple[CredentialSpec, ...]:
        return (CLIENT_ID,)

    def optional_credentials(self, api: int) -> tuple[CredentialSpec, ...]:
        # With a token the upload goes to the user's account; the secret renews it.
        return (ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)

    def login_steps(self, api: int, account: bool) -> tuple[LoginStep, ...]:
        return (ACCOUNT,) if account else (ANONYMOUS,)

    def build_upload(self, target: Target, params: UploadParams, creds: Credentials) -> RequestSpec:
        from pixup.models import RequestSpec

        reject_options(params, {"--message"}, "Imgur (the message is the image's title)")
        token = creds[ACCESS_TOKEN.name]
        authorization = f"Bearer {token}" if token else f"Client-ID {creds[CLIENT_ID.name]}"
        fields = [("type", "file")]
        if params.options.message is not None:
            fields.append(("title", params.options.message))
        return RequestSpec(
            method="POST",
            url=f"{target.base}/3/image",
            headers={"Authorization": authorization},
            fields=fields,
            files=[media_part(params, "image")],
            secret_headers=frozenset({"Authorization"}),
        )

    def delete_needs_credentials(self) -> bool:
        return True

    def build_delete(
        self, target: Target, deletion_url: str, creds: Credentials | None
    ) -> RequestSpec:
        """``DELETE /3/image/{deletehash}``, with the credentials uploads use; only to the
        Imgur base URL in effect, never to another host the ledger names."""
        from pixup.models import RequestSpec

        if creds is None or urlsplit(deletion_url).netloc != urlsplit(target.base).netloc:
            raise UsageError(
                f"{deletion_url} is not on {target.base}, where Imgur credentials go; "
                "delete it there (--endpoint names another Imgur base URL)"
            )
        token = creds[ACCESS_TOKEN.name]
        authorization = f"Bearer {token}" if token else f"Client-ID {creds[CLIENT_ID.name]}"
        return RequestSpec(
            method="DELETE",
            url=deletion_url,
            headers={"Authorization": authorization},
            secret_headers=frozenset({"Authorization"}),
        )

    def answer_error(self, target: Target, resp: RawResponse) -> PixupError | None:
        if resp.status != 429:
            return None
        for header, what in _LIMITS:
            if resp.headers.get(header, "").strip() == "0":
                return ServerError(f"{self.name}: {what}{_reset(resp)}", http_status=429)
        return None  # a passing limit: the generic 429 handling retries after Retry-After

    def parse_upload(self, target: Target, resp: RawResponse, filename: str = "") -> UploadResult:
        from pixup.models import Media, UploadResult

        doc = decode.load_answer(resp, "json")
        data = decode.sub(doc, "data")
        if doc.get("success") is not True or not 200 <= resp.status < 300:
            raise self._failure(resp, doc, data)
        media_id = decode.scalar(data.get("id"))
        url = decode.require_url(self.name, resp, decode.scalar(data.get("link")))
        deletehash = decode.scalar(data.get("deletehash"))
        return UploadResult(
            media=Media(
                id=media_id,
                url=url,
                thumb_url=self.thumb_url(target, media_id, "m") if media_id else None,
                deletion_url=f"{target.base}/3/image/{deletehash}" if deletehash else None,
                text=decode.scalar(data.get("title")),
                width=decode.integer(data.get("width")),
                height=decode.integer(data.get("height")),
                size=decode.integer(data.get("size")),
                type=decode.scalar(data.get("type")),
                timestamp=decode.scalar(data.get("datetime")),
            )
        )

    def _failure(self, resp: RawResponse, doc: dict[str, Any], data: dict[str, Any]) -> PixupError:
        error = data.get("error")
        message = decode.scalar(error) if not isinstance(error, dict) else None
        message = message or decode.scalar(decode.sub(data, "error").get("message"))
        text = f"{self.name}: {decode.one_line(message) if message else decode.body_snippet(resp)}"
        status = decode.integer(doc.get("status")) or resp.status
        if 200 <= resp.status < 300:  # a failure inside a 200: judged by the one it names
            status = status if status >= 400 else 500
        if status in (401, 403):
            return AuthError(f"{text} (HTTP {status})", http_status=resp.status)
        if status == 400:
            return RejectedError(f"{text} (HTTP {status})", http_status=resp.status)
        return error_for_status(status, f"{text} (HTTP {status})")

    def build_ping(self, target: Target) -> RequestSpec:
        from pixup.models import RequestSpec

        # Imgur has no ping; its credits endpoint answers anyone (401 without a client ID).
        return RequestSpec(method="GET", url=f"{target.base}/3/credits")

    def parse_ping(self, target: Target, resp: RawResponse) -> PingResult:
        return answered_at_all(self.name, resp)

    def media_url(self, target: Target, media_id: str) -> str:
        base = self.page_base if self.is_default_base(target) else target.base
        return f"{base}/{media_id}"

    def thumb_url(self, target: Target, media_id: str, size: str) -> str:
        base = self.image_base if self.is_default_base(target) else target.base
        return f"{base}/{media_id}{self.check_size(size)}.jpg"

    def media_id_from_url(self, url: str) -> str:
        """``imgur.com/ID``, ``i.imgur.com/ID.png`` and its thumbnails ``i.imgur.com/IDm.jpg``
        (Imgur's ids are 5 or 7 characters; a size letter makes 6 or 8)."""
        last = [s for s in urlsplit(url).path.split("/") if s][-1]
        stem, dot, _ = last.partition(".")
        if dot and len(stem) in (6, 8) and stem[-1] in SIZES:
            stem = stem[:-1]
        return check_media_id(stem)


def _reset(resp: RawResponse) -> str:
    """When the credits come back, from X-RateLimit-UserReset (a Unix time)."""
    reset = decode.integer(resp.headers.get("x-ratelimit-userreset"))
    if reset is None:
        return "; try again tomorrow"
    minutes = max(1, round((reset - time.time()) / 60))
    return f"; they come back in about {minutes} minute{'s' if minutes != 1 else ''}"
