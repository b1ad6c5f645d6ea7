"""Request builders and response parsers of both providers: pure functions, no network."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import fixture_bytes

from pixup import providers
from pixup.errors import (
    AuthError,
    PixupError,
    RejectedError,
    ServerError,
    UsageError,
)
from pixup.models import (
    Credentials,
    Media,
    RawResponse,
    UploadOptions,
    UploadParams,
    UploadResult,
    User,
)
from pixup.oauth_echo import DEFAULT_VERIFY_URL, ECHO_AUTH_HEADER, ECHO_PROVIDER_HEADER
from pixup.providers.base import Target
from pixup.providers.twitter_account import VERIFY_KEY

TWITRPIX = providers.get("twitrpix")
IMGLY = providers.get("imgly")

CREDS = Credentials(
    {
        "api_key": "k-api-key-123",
        "consumer_key": "ck-consumer-123",
        "consumer_secret": "cs-consumer-secret-123",
        "token": "tk-token-123",
        "token_secret": "ts-token-secret-123",
        "username": "alice",
        "password": "pw-password-123",
    },
    public=frozenset({"username"}),
)


def params(**kw: object) -> UploadParams:
    return UploadParams(
        path=Path("/tmp/a.png"),
        filename="a.png",
        content_type="image/png",
        options=UploadOptions(**kw),  # type: ignore[arg-type]
    )


def target(p: providers.Provider, api: int | None = None, fmt: str = "json") -> Target:
    return Target(
        base_url=p.default_base_url,
        api=api or p.default_api,
        format=fmt,
        options={VERIFY_KEY: DEFAULT_VERIFY_URL},
    )


def resp(body: bytes | str, status: int = 200, ctype: str = "") -> RawResponse:
    data = body.encode() if isinstance(body, str) else body
    return RawResponse(status=status, headers={"content-type": ctype} if ctype else {}, body=data)


# --- registry ----------------------------------------------------------------------------


def test_registry_names_and_unknown_service() -> None:
    assert providers.names() == ["twitrpix", "imgly", "imgur"]
    assert providers.get("IMGLY") is IMGLY
    with pytest.raises(
        UsageError, match="unknown service 'flickr'; choose one of: twitrpix, imgly, imgur"
    ):
        providers.get("flickr")


def test_registry_refuses_a_second_provider_of_the_same_name() -> None:
    with pytest.raises(UsageError, match="already exists"):
        providers.register(type(TWITRPIX)())


# --- TwitrPix builders -------------------------------------------------------------------


def test_twitrpix_api1_upload_fields_in_documented_names() -> None:
    spec = TWITRPIX.build_upload(target(TWITRPIX, 1), params(message="hi", tags="a,b"), CREDS)
    assert spec.method == "POST"
    assert spec.url == "http://api.twitrpix.com/1/upload.json"
    assert spec.fields == [
        ("api_key", "k-api-key-123"),
        ("consumer_token", "ck-consumer-123"),
        ("consumer_secret", "cs-consumer-secret-123"),
        ("oauth_token", "tk-token-123"),
        ("oauth_secret", "ts-token-secret-123"),
        ("message", "hi"),
        ("tags", "a,b"),
    ]
    assert [(f.field, f.filename, f.base64) for f in spec.files] == [("media", "a.png", False)]
    assert spec.headers == {}


def test_twitrpix_api1_post_base64_and_location_xml() -> None:
    spec = TWITRPIX.build_upload(
        target(TWITRPIX, 1, "xml"),
        params(post=True, base64=True, latitude=52.5, longitude=-13.25),
        CREDS,
    )
    assert spec.url == "http://api.twitrpix.com/1/uploadAndPost.xml"
    extra = dict(spec.fields[5:])
    assert extra == {"latitude": "52.5", "longitude": "-13.25", "base64": "true"}
    assert spec.files[0].base64 is True
    assert "message" not in extra


def test_twitrpix_api2_uses_echo_and_no_oauth_fields() -> None:
    spec = TWITRPIX.build_upload(target(TWITRPIX, 2), params(message="hi"), CREDS)
    assert spec.url == "http://api.twitrpix.com/2/upload.json"
    assert spec.fields == [("api_key", "k-api-key-123"), ("message", "hi")]
    assert spec.headers[ECHO_PROVIDER_HEADER] == DEFAULT_VERIFY_URL
    assert spec.headers[ECHO_AUTH_HEADER].startswith('OAuth realm="http://api.twitter.com/"')


@pytest.mark.parametrize(
    ("kw", "option"),
    [({"post": True}, "--post"), ({"base64": True}, "--base64"), ({"tags": "x"}, "--tags")],
)
def test_twitrpix_api2_refuses_api1_only_options(kw: dict[str, object], option: str) -> None:
    with pytest.raises(UsageError, match=f"{option} is not supported by TwitrPix API 2"):
        TWITRPIX.build_upload(target(TWITRPIX, 2), params(**kw), CREDS)


def test_redacted_request_hides_every_secret() -> None:
    for spec in (
        TWITRPIX.build_upload(target(TWITRPIX, 1), params(message="hi"), CREDS),
        TWITRPIX.build_upload(target(TWITRPIX, 2), params(message="hi"), CREDS),
        IMGLY.build_upload(target(IMGLY, 2), params(), CREDS),
        IMGLY.build_upload(target(IMGLY, 1), params(post=True, message="hi"), CREDS),
    ):
        shown = repr(spec.redacted())
        for secret in CREDS.secret_values():
            assert secret not in shown
        assert "***" in shown


def test_twitrpix_ping_request() -> None:
    assert (
        TWITRPIX.build_ping(target(TWITRPIX, fmt="xml")).url == "http://api.twitrpix.com/1/ping.xml"
    )


# --- TwitrPix parsers --------------------------------------------------------------------

TWITRPIX_EXPECTED = UploadResult(
    media=Media(
        id="5kr",
        url="http://twitrpix.com/5kr",
        thumb_url="http://img.twitrpix.com/thumb/5kr",
        full_url="http://img.twitrpix.com/5kr",
        text="http://twitrpix.com/5kr [pic] My photo upload",
    ),
    user=User(
        id="5",
        screen_name="twitrpixsupport",
        profile_url="http://twitrpix.com/user/twitrpixsupport",
    ),
)


@pytest.mark.parametrize("name", ["twitrpix_upload.xml", "twitrpix_upload.json"])
def test_twitrpix_success_parses_alike_in_both_formats(name: str) -> None:
    result = TWITRPIX.parse_upload(target(TWITRPIX), resp(fixture_bytes(name)))
    assert result == TWITRPIX_EXPECTED


@pytest.mark.parametrize("name", ["twitrpix_fail.xml", "twitrpix_fail.json"])
def test_twitrpix_documented_failure(name: str) -> None:
    with pytest.raises(AuthError) as info:
        TWITRPIX.parse_upload(target(TWITRPIX), resp(fixture_bytes(name), 400))
    assert info.value.code == 1001
    assert info.value.http_status == 400
    assert info.value.message == "twitrpix: Unable to authenticate (error 1001)"
    assert info.value.exit_code == 3


@pytest.mark.parametrize(
    ("code", "cls", "exit_code"),
    [
        (999, AuthError, 3),
        (1000, ServerError, 6),
        (1001, AuthError, 3),
        (1002, RejectedError, 4),
        (1003, RejectedError, 4),
        (1004, RejectedError, 4),
        (4242, RejectedError, 4),  # unknown code: judged by HTTP 400
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_twitrpix_every_error_code(
    code: int, cls: type[PixupError], exit_code: int, fmt: str
) -> None:
    body = (
        f'<response status="fail"><error code="{code}" msg="m{code}"/></response>'
        if fmt == "xml"
        else f'{{"response":{{"status":"fail","error":{{"code":{code},"msg":"m{code}"}}}}}}'
    )
    with pytest.raises(PixupError) as info:
        TWITRPIX.parse_upload(target(TWITRPIX, fmt=fmt), resp(body, 400))
    assert type(info.value) is cls
    assert info.value.exit_code == exit_code
    assert info.value.code == code
    assert f"m{code}" in info.value.message


def test_twitrpix_failure_body_with_http_200_is_still_a_failure() -> None:
    with pytest.raises(RejectedError):
        TWITRPIX.parse_upload(
            target(TWITRPIX),
            resp('{"response":{"status":"fail","error":{"code":1003,"msg":"no"}}}', 200),
        )


def test_success_body_with_error_status_is_a_server_error() -> None:
    with pytest.raises(ServerError, match="HTTP 400 with a success body"):
        TWITRPIX.parse_upload(target(TWITRPIX), resp(fixture_bytes("twitrpix_upload.json"), 400))


@pytest.mark.parametrize(
    ("body", "status", "cls", "text"),
    [
        (b"", 200, ServerError, "empty body"),
        (b"<response><media><id>5kr</id>", 200, ServerError, "malformed XML"),
        (b'{"response": {"media": ', 200, ServerError, "malformed JSON"),
        (b"[1, 2]", 200, ServerError, "not an object"),
        (b'{"response": {"media": {"id": "x"}}}', 200, ServerError, "no media URL"),
        (b'{"something": "else"}', 200, ServerError, "no media URL"),
        (b"\xff\xfe{not utf8", 200, ServerError, "not UTF-8"),
        (b"<html><body>Bad Gateway</body>", 502, ServerError, "HTTP 502: Bad Gateway"),
        (b"<html><body>Unauthorized</body></html>", 401, AuthError, "HTTP 401"),
        (b"", 503, ServerError, "HTTP 503"),
    ],
)
def test_twitrpix_malformed_answers(
    body: bytes, status: int, cls: type[PixupError], text: str
) -> None:
    with pytest.raises(PixupError) as info:
        TWITRPIX.parse_upload(target(TWITRPIX), resp(body, status))
    assert type(info.value) is cls
    assert text in info.value.message
    assert "\n" not in info.value.message


def test_xml_with_a_dtd_or_entities_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;">]><response><media><url>&lol2;</url></media></response>'
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<response><media><url>&x;</url></media></response>"
    )
    for body in (bomb, xxe):
        with pytest.raises(ServerError, match="refuses to parse"):
            TWITRPIX.parse_upload(target(TWITRPIX, fmt="xml"), resp(body))


def test_answer_format_is_sniffed_from_the_body_not_trusted_from_the_request() -> None:
    # Asked for JSON, got XML: parsed as what it is.
    result = TWITRPIX.parse_upload(
        target(TWITRPIX, fmt="json"), resp(fixture_bytes("twitrpix_upload.xml"))
    )
    assert result.media.url == "http://twitrpix.com/5kr"


def test_twitrpix_ping_pong_maintenance_and_nonsense() -> None:
    t = target(TWITRPIX, fmt="xml")
    assert TWITRPIX.parse_ping(t, resp(fixture_bytes("twitrpix_pong.xml"))).status == "pong"
    result = TWITRPIX.parse_ping(t, resp(fixture_bytes("twitrpix_maintenance.xml")))
    assert (result.status, result.ok) == ("maintenance", False)
    assert TWITRPIX.parse_ping(t, resp('{"response":{"status":"ok","message":"pong"}}')).ok
    with pytest.raises(ServerError, match="unexpected ping answer"):
        TWITRPIX.parse_ping(t, resp("<response><message>hello</message></response>"))


# --- img.ly ------------------------------------------------------------------------------


def test_imgly_v2_sends_media_and_message_only_when_given() -> None:
    spec = IMGLY.build_upload(target(IMGLY, 2, "xml"), params(), CREDS)
    assert spec.url == "http://img.ly/api/2/upload.xml"
    assert spec.fields == []
    assert [f.field for f in spec.files] == ["media"]
    assert set(spec.headers) == {ECHO_PROVIDER_HEADER, ECHO_AUTH_HEADER}
    with_msg = IMGLY.build_upload(target(IMGLY, 2), params(message="hello"), CREDS)
    assert with_msg.fields == [("message", "hello")]


def test_imgly_v1_endpoints_and_fields() -> None:
    plain = IMGLY.build_upload(target(IMGLY, 1), params(), CREDS)
    assert plain.url == "http://img.ly/api/upload"
    assert plain.fields == [("username", "alice"), ("password", "pw-password-123")]
    posted = IMGLY.build_upload(target(IMGLY, 1), params(post=True, message="hi"), CREDS)
    assert posted.url == "http://img.ly/api/uploadAndPost"
    assert posted.fields[-1] == ("message", "hi")
    with pytest.raises(
        UsageError, match=r"--message is not supported by img\.ly API 1 without --post"
    ):
        IMGLY.build_upload(target(IMGLY, 1), params(message="hi"), CREDS)
    with pytest.raises(UsageError, match=r"--post is not supported by img\.ly API 2"):
        IMGLY.build_upload(target(IMGLY, 2), params(post=True), CREDS)


def test_imgly_credentials_by_api() -> None:
    def names(api: int) -> tuple[str, ...]:
        return tuple(c.name for c in IMGLY.required_credentials(api, False))

    assert names(1) == ("username", "password")
    assert names(2) == (
        "consumer_key",
        "consumer_secret",
        "token",
        "token_secret",
    )
    assert TWITRPIX.required_credentials(2, False)[0].name == "api_key"


@pytest.mark.parametrize(
    ("name", "text", "screen_name"),
    [("imgly_v2.xml", "some text", "imglyuser"), ("imgly_v2.json", "test", "imglytest")],
)
def test_imgly_v2_success(name: str, text: str, screen_name: str) -> None:
    result = IMGLY.parse_upload(target(IMGLY, 2), resp(fixture_bytes(name)))
    assert result == UploadResult(
        media=Media(
            id="3de",
            url="http://img.ly/3de",
            thumb_url="http://img.ly/show/thumb/3de",
            full_url="http://img.ly/show/full/3de",
            text=text,
            width=300,
            height=200,
            size=8211,
            type="png",
            timestamp="Wed, 2 June 2010 11:11:11 +0000",
        ),
        user=User(id="123456", screen_name=screen_name),
    )


def test_imgly_v2_wrong_types_become_null_not_a_crash() -> None:
    result = IMGLY.parse_upload(
        target(IMGLY, 2),
        resp('{"id": "3de", "url": "http://img.ly/3de", "width": "wide", "height": -1, "user": 7}'),
    )
    assert (result.media.width, result.media.height, result.user.id) == (None, None, None)


@pytest.mark.parametrize(
    ("status", "cls", "exit_code"),
    [(401, AuthError, 3), (400, RejectedError, 4), (500, ServerError, 6)],
)
def test_imgly_v2_status_errors_report_the_body(
    status: int, cls: type[PixupError], exit_code: int
) -> None:
    with pytest.raises(PixupError) as info:
        IMGLY.parse_upload(target(IMGLY, 2), resp("nope: details here", status))
    assert type(info.value) is cls
    assert info.value.exit_code == exit_code
    assert info.value.http_status == status
    assert "nope: details here" in info.value.message


def test_imgly_v1_upload_and_upload_and_post() -> None:
    t = target(IMGLY, 1)
    plain = IMGLY.parse_upload(t, resp(fixture_bytes("imgly_v1_upload.xml")))
    assert (plain.media.id, plain.media.url, plain.status_id) == (
        "test123",
        "http://img.ly/abc123",
        None,
    )
    posted = IMGLY.parse_upload(t, resp(fixture_bytes("imgly_v1_upload_and_post.xml")))
    assert (posted.status_id, posted.user.id) == ("1111", "11111")


@pytest.mark.parametrize(
    ("code", "cls"),
    [(1001, AuthError), (1002, RejectedError), (1003, RejectedError), (1004, RejectedError)],
)
@pytest.mark.parametrize("attr", ["stat", "status"])
def test_imgly_v1_error_codes_with_stat_or_status(
    code: int, cls: type[PixupError], attr: str
) -> None:
    body = f'<rsp {attr}="fail"><err code="{code}" msg="m"/></rsp>'
    with pytest.raises(PixupError) as info:
        IMGLY.parse_upload(target(IMGLY, 1), resp(body))
    assert type(info.value) is cls
    assert info.value.code == code


def test_imgly_v1_documented_failure_sample() -> None:
    with pytest.raises(AuthError, match="Invalid twitter username or password"):
        IMGLY.parse_upload(target(IMGLY, 1), resp(fixture_bytes("imgly_v1_fail.xml")))


def test_imgly_v1_accepts_status_ok() -> None:
    result = IMGLY.parse_upload(
        target(IMGLY, 1),
        resp('<rsp status="ok"><mediaid>a1</mediaid><mediaurl>http://img.ly/a1</mediaurl></rsp>'),
    )
    assert result.media.id == "a1"


def test_imgly_ping_is_any_answer_below_500() -> None:
    t = target(IMGLY)
    assert IMGLY.build_ping(t).url == "http://img.ly/"
    assert IMGLY.parse_ping(t, resp("", 404)).status == "up"
    with pytest.raises(ServerError):
        IMGLY.parse_ping(t, resp("", 502))


# --- thumbnails --------------------------------------------------------------------------


def test_thumbnail_urls() -> None:
    assert IMGLY.thumb_url(target(IMGLY), "3de", "mini") == "http://img.ly/show/mini/3de"
    assert IMGLY.media_url(target(IMGLY), "3de") == "http://img.ly/3de"
    assert (
        TWITRPIX.thumb_url(target(TWITRPIX), "5kr", "thumb") == "http://img.twitrpix.com/thumb/5kr"
    )
    assert TWITRPIX.thumb_url(target(TWITRPIX), "5kr", "full") == "http://img.twitrpix.com/5kr"
    assert TWITRPIX.media_url(target(TWITRPIX), "5kr") == "http://twitrpix.com/5kr"
    own = Target(base_url="http://127.0.0.1:9/", api=1)
    assert TWITRPIX.thumb_url(own, "5kr", "thumb") == "http://127.0.0.1:9/thumb/5kr"
    assert IMGLY.thumb_url(own, "5kr", "large") == "http://127.0.0.1:9/show/large/5kr"


def test_a_size_a_service_lacks_names_the_sizes_it_has() -> None:
    with pytest.raises(
        UsageError, match="twitrpix has no thumbnail size 'mini'; choose one of: thumb, full"
    ):
        TWITRPIX.check_size("mini")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://img.ly/api/upload", True),  # a service default
        ("http://127.0.0.1:8080/x", True),
        ("http://[::1]:8080/x", True),
        ("http://localhost/x", True),
        ("https://pics.example.org/x", True),
        ("http://pics.example.org/x", False),
        ("http://10.0.0.5/x", False),
    ],
)
def test_plain_http_policy(url: str, allowed: bool) -> None:
    from pixup.security import check_plain_http

    if allowed:
        check_plain_http(url, IMGLY.hosts, allow=False)
    else:
        with pytest.raises(UsageError, match="over plain http://"):
            check_plain_http(url, IMGLY.hosts, allow=False)
        check_plain_http(url, IMGLY.hosts, allow=True)


def test_plain_text_secrets_warning_is_for_remote_plain_http_only() -> None:
    from pixup.security import plain_text_secrets_warning

    assert plain_text_secrets_warning("http://127.0.0.1:9/api/upload") is None
    assert plain_text_secrets_warning("https://img.ly/api/upload") is None
    warning = plain_text_secrets_warning("http://img.ly/api/upload")
    assert warning is not None and "img.ly over plain http://" in warning
