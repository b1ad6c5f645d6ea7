"""img.ly: API 2 (OAuth Echo) and API 1 (Twitter username and password)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixup.errors import AuthError, RejectedError
from pixup.oauth_echo import ECHO_AUTH_HEADER
from pixup.providers import decode
from pixup.providers.base import Provider, Target, answered_at_all, media_part, reject_options
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


_API1_LOGIN = "pixup config login --service imgly --api 1"
USERNAME = CredentialSpec(
    "username",
    "img.ly API 1 user name",
    "PIXUP_USERNAME",
    secret=False,
    store="imgly.username",
    login=_API1_LOGIN,
    flag="--username",
    flag_help="img.ly API 1 user name.",
)
PASSWORD = CredentialSpec(
    "password",
    "img.ly API 1 password",
    "PIXUP_PASSWORD",
    secret=True,
    store="imgly.password",
    login=_API1_LOGIN,
    stdin=True,
)
API1_LOGIN = AskValues(
    title="img.ly",
    values=(USERNAME, PASSWORD),
    who=USERNAME,
    # img.ly API 1 takes the Twitter account's own name and password; Twitter's API 1
    # checked them at verify_credentials, with HTTP Basic auth.
    verify=TWITTER.verify_url,
)


class Imgly(Provider):
    name = "imgly"
    title = "img.ly"
    default_base_url = "http://img.ly"
    apis = (2, 1)
    default_api = 2
    thumb_sizes = ("mini", "thumb", "medium", "large", "full")
    default_thumb_size = "thumb"
    hosts = frozenset({"img.ly", "www.img.ly"})

    credentials = (*OAUTH, USERNAME, PASSWORD)

    def required_credentials(self, api: int, post: bool) -> tuple[CredentialSpec, ...]:
        return (USERNAME, PASSWORD) if api == 1 else OAUTH

    def login_steps(self, api: int, account: bool) -> tuple[LoginStep, ...]:
        return (API1_LOGIN,) if api == 1 else (TWITTER,)

    def build_upload(self, target: Target, params: UploadParams, creds: Credentials) -> RequestSpec:
        from pixup.models import RequestSpec

        if target.api == 1:
            if params.options.post:
                reject_options(params, {"--post", "--message"}, "img.ly API 1")
                endpoint = "uploadAndPost"
            else:
                reject_options(
                    params, set(), "img.ly API 1 without --post (the message is the tweet)"
                )
                endpoint = "upload"
            fields = [("username", creds["username"]), ("password", creds["password"])]
            if params.options.message is not None:
                fields.append(("message", params.options.message))
            return RequestSpec(
                method="POST",
                url=f"{target.base}/api/{endpoint}",
                fields=fields,
                files=[media_part(params)],
                secret_fields=frozenset({"password"}),
            )
        reject_options(params, {"--message"}, "img.ly API 2")
        # The service documents `message` as optional: send it only when given.
        fields = [] if params.options.message is None else [("message", params.options.message)]
        return RequestSpec(
            method="POST",
            url=f"{target.base}/api/2/upload.{target.format}",
            headers=echo_auth(target, creds),
            fields=fields,
            files=[media_part(params)],
            secret_headers=frozenset({ECHO_AUTH_HEADER}),
        )

    def parse_upload(self, target: Target, resp: RawResponse, filename: str = "") -> UploadResult:
        from pixup.models import Media, UploadResult, User

        if target.api == 1:
            return self._parse_v1(target, resp)
        if resp.status == 401:
            raise AuthError(
                f"{self.name}: the OAuth Echo credentials were not accepted (HTTP 401): "
                f"{decode.body_snippet(resp)}",
                http_status=401,
            )
        if resp.status == 400:
            raise RejectedError(
                f"{self.name}: the upload was refused (HTTP 400): {decode.body_snippet(resp)}",
                http_status=400,
            )
        doc = decode.load_answer(resp, target.format)
        node = decode.sub(doc, "image") if "image" in doc else doc
        failed = decode.find_failure(node) or decode.find_failure(decode.sub(doc, "rsp"))
        if failed is not None:
            raise decode.failure(self.name, resp, *failed)
        media_id = decode.scalar(node.get("id"))
        url = decode.require_url(self.name, resp, decode.scalar(node.get("url")))
        user = decode.sub(node, "user")
        return UploadResult(
            media=Media(
                id=media_id,
                url=url,
                thumb_url=self._derived(target, media_id, "thumb"),
                full_url=self._derived(target, media_id, "full"),
                text=decode.scalar(node.get("text")),
                width=decode.integer(node.get("width")),
                height=decode.integer(node.get("height")),
                size=decode.integer(node.get("size")),
                type=decode.scalar(node.get("type")),
                timestamp=decode.scalar(node.get("timestamp")),
            ),
            user=User(
                id=decode.scalar(user.get("id")),
                screen_name=decode.scalar(user.get("screen_name")),
            ),
        )

    def _parse_v1(self, target: Target, resp: RawResponse) -> UploadResult:
        from pixup.models import Media, UploadResult, User

        doc = decode.load_answer(resp, "xml")
        node = decode.sub(doc, "rsp")
        failed = decode.find_failure(node)
        if failed is not None:
            raise decode.failure(self.name, resp, *failed)
        media_id = decode.scalar(node.get("mediaid"))
        url = decode.require_url(self.name, resp, decode.scalar(node.get("mediaurl")))
        return UploadResult(
            media=Media(
                id=media_id,
                url=url,
                thumb_url=self._derived(target, media_id, "thumb"),
                full_url=self._derived(target, media_id, "full"),
            ),
            user=User(id=decode.scalar(node.get("userid"))),
            status_id=decode.scalar(node.get("statusid")),
        )

    def _derived(self, target: Target, media_id: str | None, size: str) -> str | None:
        # img.ly's answer has no thumbnail URLs, but its documented pattern gives them.
        return self.thumb_url(target, media_id, size) if media_id else None

    def build_ping(self, target: Target) -> RequestSpec:
        from pixup.models import RequestSpec

        # img.ly has no ping endpoint: whether the base URL answers at all is the check.
        return RequestSpec(method="GET", url=f"{target.base}/")

    def parse_ping(self, target: Target, resp: RawResponse) -> PingResult:
        return answered_at_all(self.name, resp)

    def media_url(self, target: Target, media_id: str) -> str:
        return f"{target.base}/{media_id}"

    def thumb_url(self, target: Target, media_id: str, size: str) -> str:
        return f"{target.base}/show/{self.check_size(size)}/{media_id}"
