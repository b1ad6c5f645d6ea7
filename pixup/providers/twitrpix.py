"""TwitrPix: API 1 (OAuth credentials as form fields) and API 2 (OAuth Echo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixup.errors import ServerError, UsageError
from pixup.oauth_echo import ECHO_AUTH_HEADER
from pixup.providers import decode
from pixup.providers.base import Provider, Target, media_part, reject_options
from pixup.providers.twitter_account import OAUTH, TWITTER, echo_auth
from pixup.specs import AskValues, CredentialSpec, LoginStep

if TYPE_CHECKING:
    from pixup.models import (
        Credentials,
        PingResult,
        RawResponse,
        RequestSpec,
        UploadParams,
        UploadResult,
    )

API_KEY = CredentialSpec(
    "api_key",
    "TwitrPix API key",
    "PIXUP_TWITRPIX_API_KEY",
    secret=True,
    store="twitrpix.api_key",
    login="pixup config login --service twitrpix",
    stdin=True,
)


class TwitrPix(Provider):
    name = "twitrpix"
    title = "TwitrPix"
    default_base_url = "http://api.twitrpix.com"
    apis = (1, 2)
    default_api = 1
    thumb_sizes = ("thumb", "full")
    default_thumb_size = "thumb"
    hosts = frozenset({"twitrpix.com", "www.twitrpix.com", "img.twitrpix.com", "api.twitrpix.com"})

    page_base = "http://twitrpix.com"
    image_base = "http://img.twitrpix.com"

    credentials = (API_KEY, *OAUTH)

    def required_credentials(self, api: int, post: bool) -> tuple[CredentialSpec, ...]:
        return self.credentials

    def login_steps(self, api: int, account: bool) -> tuple[LoginStep, ...]:
        return (TWITTER, AskValues(title=self.title, values=(API_KEY,)))

    def build_upload(self, target: Target, params: UploadParams, creds: Credentials) -> RequestSpec:
        from pixup.models import RequestSpec

        fmt = target.format
        if target.api == 1:
            reject_options(
                params,
                {"--post", "--base64", "--tags", "--latitude/--longitude", "--message"},
                "TwitrPix",
            )
            endpoint = "uploadAndPost" if params.options.post else "upload"
            fields = [
                ("api_key", creds["api_key"]),
                ("consumer_token", creds["consumer_key"]),
                ("consumer_secret", creds["consumer_secret"]),
                ("oauth_token", creds["token"]),
                ("oauth_secret", creds["token_secret"]),
            ]
            if params.options.message is not None:
                fields.append(("message", params.options.message))
            if params.options.tags is not None:
                fields.append(("tags", params.options.tags))
            if params.options.latitude is not None:
                fields.append(("latitude", repr(params.options.latitude)))
            if params.options.longitude is not None:
                fields.append(("longitude", repr(params.options.longitude)))
            if params.options.base64:
                fields.append(("base64", "true"))
            return RequestSpec(
                method="POST",
                url=f"{target.base}/1/{endpoint}.{fmt}",
                fields=fields,
                files=[media_part(params)],
                secret_fields=frozenset(
                    {"api_key", "consumer_token", "consumer_secret", "oauth_token", "oauth_secret"}
                ),
            )
        reject_options(params, {"--message"}, "TwitrPix API 2 (use --api 1)")
        fields = [("api_key", creds["api_key"])]
        if params.options.message is not None:
            fields.append(("message", params.options.message))
        return RequestSpec(
            method="POST",
            url=f"{target.base}/2/upload.{fmt}",
            headers=echo_auth(target, creds),
            fields=fields,
            files=[media_part(params)],
            secret_fields=frozenset({"api_key"}),
            secret_headers=frozenset({ECHO_AUTH_HEADER}),
        )

    def parse_upload(self, target: Target, resp: RawResponse, filename: str = "") -> UploadResult:
        from pixup.models import Media, UploadResult, User

        doc = decode.load_answer(resp, target.format)
        node = decode.sub(doc, "response")
        failed = decode.find_failure(node)
        if failed is not None:
            raise decode.failure(self.name, resp, *failed)
        media = decode.sub(node, "media")
        url = decode.require_url(self.name, resp, decode.scalar(media.get("url")))
        user = decode.sub(node, "user")
        return UploadResult(
            media=Media(
                id=decode.scalar(media.get("id")),
                url=url,
                thumb_url=decode.scalar(media.get("thumb")),
                full_url=decode.scalar(media.get("full")),
                text=decode.scalar(media.get("text")),
            ),
            user=User(
                id=decode.scalar(user.get("id")),
                screen_name=decode.scalar(user.get("screen_name")),
                profile_url=decode.scalar(user.get("profile_url")),
            ),
        )

    def build_ping(self, target: Target) -> RequestSpec:
        from pixup.models import RequestSpec

        return RequestSpec(method="GET", url=f"{target.base}/1/ping.{target.format}")

    def parse_ping(self, target: Target, resp: RawResponse) -> PingResult:
        from pixup.models import PingResult

        doc = decode.load_answer(resp, target.format)
        node = decode.sub(doc, "response")
        failed = decode.find_failure(node)
        if failed is not None:
            raise decode.failure(self.name, resp, *failed)
        message = decode.scalar(node.get("message"))
        if message in ("pong", "maintenance") and 200 <= resp.status < 300:
            return PingResult(status=message, message=message)
        raise ServerError(
            f"{self.name}: unexpected ping answer (HTTP {resp.status}): "
            f"{decode.body_snippet(resp)}",
            http_status=resp.status,
        )

    def media_url(self, target: Target, media_id: str) -> str:
        base = self.page_base if self.is_default_base(target) else target.base
        return f"{base}/{media_id}"

    def thumb_url(self, target: Target, media_id: str, size: str) -> str:
        base = self.image_base if self.is_default_base(target) else target.base
        if size == "full":
            return f"{base}/{media_id}"
        if size == "thumb":
            return f"{base}/thumb/{media_id}"
        raise UsageError(f"{self.name} has no thumbnail size {size!r}")
