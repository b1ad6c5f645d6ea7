"""Imgur (API 3): request building and answer parsing without a network, then the whole
provider against the sandbox's Imgur: anonymous uploads, the OAuth 2 PIN login, a bearer
token renewed when it expires, spent credits, and curl as a second client."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import Sandbox, installed_pixup, keyring_file

from pixup import providers
from pixup.errors import AuthError, RejectedError, ServerError
from pixup.models import Credentials, RawResponse, UploadOptions, UploadParams
from pixup.providers.base import Target
from pixup.sandbox.accounts import SANDBOX

IMGUR = providers.get("imgur")
TARGET = Target(base_url="https://api.imgur.com", api=3)


def params(message: str | None = None) -> UploadParams:
    return UploadParams(
        path=Path("/tmp/a.png"),
        filename="a.png",
        content_type="image/png",
        options=UploadOptions(message=message),
    )


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> RawResponse:
    return RawResponse(
        status=status,
        headers={"content-type": "application/json", **(headers or {})},
        body=json.dumps(body).encode(),
    )


# --- pure: building and parsing ---------------------------------------------------------


def test_anonymous_and_account_uploads_are_built_as_imgur_documents() -> None:
    anon = IMGUR.build_upload(TARGET, params("Sunset"), Credentials({"client_id": "cid-123"}))
    assert (anon.method, anon.url) == ("POST", "https://api.imgur.com/3/image")
    assert anon.headers == {"Authorization": "Client-ID cid-123"}
    assert [f.field for f in anon.files] == ["image"]
    assert ("title", "Sunset") in anon.fields
    # The account's bearer token wins over the client ID, and neither is ever shown.
    creds = Credentials({"client_id": "cid-123", "access_token": "at-secret-456"})
    mine = IMGUR.build_upload(TARGET, params(), creds)
    assert mine.headers == {"Authorization": "Bearer at-secret-456"}
    shown = json.dumps(mine.redacted())
    assert "at-secret-456" not in shown and "cid-123" not in shown
    assert not any(k == "title" for k, _ in mine.fields)


def test_a_success_answer_becomes_the_usual_result() -> None:
    data = {
        "id": "orunSTu",
        "link": "https://i.imgur.com/orunSTu.png",
        "deletehash": "x70po4w7BVvSUzZ",
        "width": 64,
        "height": 48,
        "type": "image/png",
        "size": 6321,
        "title": "Sunset",
    }
    result = IMGUR.parse_upload(TARGET, answer(200, {"data": data, "success": True, "status": 200}))
    media = result.media
    assert (media.id, media.url) == ("orunSTu", "https://i.imgur.com/orunSTu.png")
    assert media.deletion_url == "https://api.imgur.com/3/image/x70po4w7BVvSUzZ"
    assert media.thumb_url == "https://i.imgur.com/orunSTum.jpg"
    assert (media.width, media.height, media.size, media.type) == (64, 48, 6321, "image/png")


@pytest.mark.parametrize(
    ("status", "error", "kind", "exit_code"),
    [
        (400, "No image data was sent to the upload api", RejectedError, 4),
        (400, {"code": 1003, "message": "File type invalid (1)"}, RejectedError, 4),
        (401, "The access token provided is invalid.", AuthError, 3),
        (403, "Invalid client_id", AuthError, 3),
        (500, "Internal error", ServerError, 6),
    ],
)
def test_failure_answers_name_the_error_and_exit_by_kind(
    status: int, error: Any, kind: type[Exception], exit_code: int
) -> None:
    body = {"data": {"error": error, "request": "/3/image", "method": "POST"}, "success": False}
    with pytest.raises(kind) as info:
        IMGUR.parse_upload(TARGET, answer(status, {**body, "status": status}))
    text = error if isinstance(error, str) else error["message"]
    assert text in str(info.value)
    assert info.value.exit_code == exit_code  # type: ignore[attr-defined]


def test_a_failure_inside_http_200_is_a_failure() -> None:
    body = {"data": {"error": "Invalid client_id"}, "success": False, "status": 403}
    with pytest.raises(AuthError, match="Invalid client_id"):
        IMGUR.parse_upload(TARGET, answer(200, body))


def test_spent_credits_are_said_and_not_retried_a_passing_limit_is() -> None:
    spent = answer(429, {}, {"x-ratelimit-clientremaining": "0"})
    err = IMGUR.answer_error(TARGET, spent)
    assert isinstance(err, ServerError) and not err.retryable
    assert "client ID's credits for today are spent" in err.message
    # A 429 with credits left is left to the generic handling (retry after Retry-After).
    assert IMGUR.answer_error(TARGET, answer(429, {}, {"x-ratelimit-clientremaining": "9"})) is None
    assert IMGUR.answer_error(TARGET, answer(200, {})) is None


def test_thumbnails_and_media_ids_from_every_kind_of_imgur_url() -> None:
    assert IMGUR.thumb_url(TARGET, "abc1234", "b") == "https://i.imgur.com/abc1234b.jpg"
    assert IMGUR.media_url(TARGET, "abc1234") == "https://imgur.com/abc1234"
    for url in (
        "https://imgur.com/abc1234",
        "https://i.imgur.com/abc1234.png",
        "https://i.imgur.com/abc1234m.jpg",
    ):
        assert IMGUR.media_id_from_url(url) == "abc1234", url
    self_hosted = Target(base_url="http://127.0.0.1:9", api=3)
    assert IMGUR.thumb_url(self_hosted, "abc1234", "s") == "http://127.0.0.1:9/abc1234s.jpg"


# --- against the sandbox ----------------------------------------------------------------


def pixup(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_pixup(), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env()}


@pytest.fixture
def urls_only(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **SANDBOX.urls(box.url)}


def test_anonymous_upload_reaches_the_sandbox_whole(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    result = pixup(["upload", str(png), "-s", "imgur", "-m", "Sunset", "--json"], env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    (stored,) = box.uploads()
    assert (stored["service"], stored["api"], stored["message"]) == ("imgur", 3, "Sunset")
    assert stored["fields"] == ["image", "title", "type"]
    assert (box.data_dir / stored["id"]).read_bytes() == png.read_bytes()
    assert doc["media"]["url"] == f"{box.url}/{stored['id']}"
    assert doc["media"]["deletion_url"].startswith(f"{box.url}/3/image/")
    # The thumbnail URL is served, and the ledger keeps the deletion URL.
    with urllib.request.urlopen(doc["media"]["thumb_url"], timeout=5) as thumb:
        assert thumb.read() == png.read_bytes()
    shown = json.loads(pixup(["history", "show", stored["id"], "--json"], env).stdout)
    assert shown["deletion_url"] == doc["media"]["deletion_url"]


def test_a_wrong_client_id_is_an_auth_error(box: Sandbox, env: dict[str, str], png: Path) -> None:
    result = pixup(["upload", str(png), "-s", "imgur"], {**env, "PIXUP_IMGUR_CLIENT_ID": "nope"})
    assert result.returncode == 3
    assert "imgur: Invalid client_id (HTTP 403)" in result.stderr
    assert box.uploads() == []


def test_spent_credits_end_in_one_clear_line_without_retrying(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    box.set_state(imgur_credits=0)
    result = pixup(["upload", str(png), "-s", "imgur"], env)
    assert result.returncode == 6
    assert "imgur: the client ID's credits for today are spent" in result.stderr
    assert "trying again" not in result.stderr
    assert box.set_state()["attempts"] == 1


def test_curl_as_a_second_client_gets_what_pixup_parses(box: Sandbox, png: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    out = subprocess.run(
        [
            curl, "-s", "-w", "\n%{http_code}", "-H",
            f"Authorization: Client-ID {SANDBOX.imgur_client_id}",
            "-F", f"image=@{png}", "-F", "title=From curl", f"{box.url}/3/image",
        ],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    body, status = out.stdout.rsplit("\n", 1)
    resp = RawResponse(int(status), {"content-type": "application/json"}, body.encode())
    result = IMGUR.parse_upload(Target(base_url=box.url, api=3), resp)
    (stored,) = box.uploads()
    assert result.media.id == stored["id"] and stored["message"] == "From curl"
    assert (box.data_dir / stored["id"]).read_bytes() == png.read_bytes()


def test_login_stores_the_client_id_for_anonymous_uploads(
    box: Sandbox, urls_only: dict[str, str], png: Path
) -> None:
    result = pixup(
        ["config", "login", "-s", "imgur", "--client-id", SANDBOX.imgur_client_id], urls_only
    )
    assert result.returncode == 0, result.stderr
    # The client ID is not a secret (Imgur puts it in page URLs): the config file keeps it.
    assert keyring_file(urls_only) == {}
    config = pixup(["config", "get", "imgur.client_id"], urls_only)
    assert config.stdout.strip() == SANDBOX.imgur_client_id
    assert pixup(["upload", str(png), "-s", "imgur"], urls_only).returncode == 0
    status = json.loads(pixup(["config", "status", "--json"], urls_only).stdout)
    assert status["services"]["imgur"]["apis"]["3"]["credentials"]["client_id"] == {
        "present": True,
        "source": "config",
    }
    out = pixup(["config", "logout", "-s", "imgur", "--json"], urls_only)
    assert json.loads(out.stdout)["config_removed"] == ["imgur.client_id"]
    assert pixup(["config", "get", "imgur.client_id"], urls_only).returncode == 1


def account_login(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The OAuth 2 PIN flow as a person does it: open the page pixup prints, type the PIN."""
    proc = subprocess.Popen(
        [installed_pixup(), "config", "login", "-s", "imgur", "--account",
         "--client-secret-stdin", "--no-browser"],
        env={**env, "PIXUP_IMGUR_CLIENT_ID": SANDBOX.imgur_client_id},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(SANDBOX.imgur_client_secret + "\n")
    proc.stdin.flush()
    url = proc.stdout.readline().strip()
    assert "/oauth2/authorize?client_id=" in url and "response_type=pin" in url, url
    with urllib.request.urlopen(url, timeout=5) as page:
        pin = re.search(r'id="pin">(\d+)<', page.read().decode())
    assert pin is not None
    out, err = proc.communicate(pin.group(1) + "\n", timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, url + "\n" + out, err)


def test_account_login_then_uploads_renew_an_expired_token_unasked(
    box: Sandbox, urls_only: dict[str, str], png: Path
) -> None:
    result = account_login(urls_only)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"Logged in to Imgur as {SANDBOX.screen_name}\n")
    stored = keyring_file(urls_only)
    assert set(stored) == {
        f"pixup/imgur.{n}" for n in ("client_secret", "access_token", "refresh_token")
    }
    for secret in stored.values():
        assert secret not in result.stdout + result.stderr
    # A client ID that would be refused proves the upload went with the bearer token.
    as_user = {**urls_only, "PIXUP_IMGUR_CLIENT_ID": "refused"}
    first = pixup(["upload", str(png), "-s", "imgur"], as_user)
    assert first.returncode == 0, first.stderr
    box.set_state(imgur_expire=True)
    # Renewal needs the real client ID (and the secret from the keyring).
    second = pixup(["upload", str(png), "-s", "imgur"], urls_only)
    assert second.returncode == 0, second.stderr
    assert "Renewed the Imgur access token" in second.stderr
    renewed = keyring_file(urls_only)
    assert renewed["pixup/imgur.access_token"] != stored["pixup/imgur.access_token"]
    assert renewed["pixup/imgur.access_token"] not in second.stdout + second.stderr
    # The renewed token serves the next run as it is.
    third = pixup(["upload", str(png), "-s", "imgur"], as_user)
    assert third.returncode == 0 and "Renewed" not in third.stderr
    assert [u["service"] for u in box.uploads()] == ["imgur"] * 3


def test_a_token_that_cannot_be_renewed_is_an_auth_error(
    box: Sandbox, urls_only: dict[str, str], png: Path
) -> None:
    env = {
        **urls_only,
        "PIXUP_IMGUR_CLIENT_ID": SANDBOX.imgur_client_id,
        "PIXUP_IMGUR_ACCESS_TOKEN": "expired-or-unknown-token",
        "PIXUP_IMGUR_REFRESH_TOKEN": "unknown-refresh-token",
        "PIXUP_IMGUR_CLIENT_SECRET": SANDBOX.imgur_client_secret,
    }
    result = pixup(["upload", str(png), "-s", "imgur"], env)
    assert result.returncode == 3
    assert "could not be renewed" in result.stderr
    assert "unknown-refresh-token" not in result.stderr
    assert box.uploads() == []
