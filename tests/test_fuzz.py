"""The response parsers fuzzed with hypothesis: arbitrary bytes and near-miss documents
end in a parsed result or a PixupError, never any other exception."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixup import providers
from pixup.errors import PixupError
from pixup.models import RawResponse
from pixup.oauth_echo import DEFAULT_VERIFY_URL
from pixup.providers.base import Target
from pixup.providers.twitter_account import VERIFY_KEY

TARGETS = [
    (
        p,
        Target(
            base_url=p.default_base_url,
            api=api,
            format=fmt,
            options={VERIFY_KEY: DEFAULT_VERIFY_URL},
        ),
    )
    for p in providers.all_providers()
    for api in p.apis
    for fmt in ("json", "xml")
]
STATUSES = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 413, 429, 500, 502, 503])
CONTENT_TYPES = st.sampled_from(["", "application/json", "text/xml", "text/html", "text/plain"])

KEYS = st.sampled_from(
    [
        "response",
        "media",
        "user",
        "image",
        "rsp",
        "error",
        "err",
        "status",
        "stat",
        "id",
        "url",
        "thumb",
        "full",
        "text",
        "width",
        "height",
        "size",
        "type",
        "timestamp",
        "code",
        "msg",
        "message",
        "mediaid",
        "mediaurl",
        "statusid",
        "userid",
        "screen_name",
    ]
)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["fail", "ok", "pong", "maintenance", "1001", "http://img.ly/x"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=20,
)


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        attrs = "".join(
            f" {k}={quoteattr(str(v))}" for k, v in value.items() if not isinstance(v, dict | list)
        )
        inner = "".join(_xml(k, v) for k, v in value.items() if isinstance(v, dict | list))
        return f"<{tag}{attrs}>{inner}</{tag}>"
    if isinstance(value, list):
        return "".join(_xml(tag, v) for v in value)
    return f"<{tag}>{escape(str(value))}</{tag}>"


def check(resp: RawResponse) -> None:
    for provider, target in TARGETS:
        for parse in (provider.parse_upload, provider.parse_ping):
            try:
                parse(target, resp)
            except PixupError as err:
                assert err.message and "\n" not in err.message


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(body=st.binary(max_size=2000), status=STATUSES, ctype=CONTENT_TYPES)
def test_arbitrary_bytes(body: bytes, status: int, ctype: str) -> None:
    check(RawResponse(status=status, headers={"content-type": ctype}, body=body))


@FUZZ
@given(doc=st.dictionaries(KEYS, VALUES, max_size=4), status=STATUSES)
def test_near_miss_json(doc: dict[str, Any], status: int) -> None:
    try:
        body = json.dumps(doc).encode()
    except ValueError:
        return
    check(RawResponse(status=status, headers={}, body=body))


@FUZZ
@given(root=KEYS, doc=st.dictionaries(KEYS, VALUES, max_size=4), status=STATUSES)
def test_near_miss_xml(root: str, doc: dict[str, Any], status: int) -> None:
    body = _xml(root, doc).encode("utf-8", "surrogatepass")
    check(RawResponse(status=status, headers={}, body=body))


@FUZZ
@given(body=st.text(max_size=500), status=STATUSES)
def test_truncated_real_answers(body: str, status: int) -> None:
    sample = (
        "<response><media><id>5kr</id><url>http://twitrpix.com/5kr</url></media>"
        "<user><id>5</id></user></response>"
    )
    for cut in range(0, len(sample), 7):
        check(
            RawResponse(
                status=status,
                headers={},
                body=(sample[:cut] + body).encode("utf-8", "surrogatepass"),
            )
        )
