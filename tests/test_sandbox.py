"""The sandbox as a server that can be left running: bodies bounded while they are read,
no credential shown in its listings, bad state changes refused, and OAuth checked the way
the services did (HMAC-SHA1 only; parameters in the header or the query)."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Sandbox, installed_pixup
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_PLAINTEXT, SIGNATURE_TYPE_QUERY, Client

from pixup.sandbox.accounts import SANDBOX

GIB = 1024**3


def _connect(box: Sandbox) -> socket.socket:
    parts = urlsplit(box.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(sep and length and len(body) >= int(length[1]))


def _answer(sock: socket.socket, within: float) -> bytes:
    """The server's whole answer, if it comes within ``within`` seconds (else what came)."""
    data = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not _complete(data):
        ready, _, _ = select.select([sock], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _upload_head(path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: sandbox\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n" + extra + "\r\n"
    ).encode()


# Each with its credentials in headers: what is refused is the size, not the caller.
CREDENTIALS = {
    "/1/upload.json": "",
    "/api/upload": "",
    "/3/image": f"Authorization: Client-ID {SANDBOX.imgur_client_id}\r\n",
    "/hosts/text": f"X-Api-Key: {SANDBOX.host_key}\r\n",
}


@pytest.mark.parametrize("path", list(CREDENTIALS))
def test_a_declared_gigabyte_is_refused_before_a_byte_is_read(box: Sandbox, path: str) -> None:
    with _connect(box) as sock:
        sock.sendall(_upload_head(path, f"Content-Length: {GIB}\r\n" + CREDENTIALS[path]))
        answer = _answer(sock, within=10)  # no byte of the body was sent
    status = answer.split(b"\r\n", 1)[0]
    # img.ly's API 1 says every failure with 200 and an error code, as the service did.
    assert status.startswith(b"HTTP/1.1 200" if path == "/api/upload" else b"HTTP/1.1 4"), answer
    assert b"connection: close" in answer.lower()  # what was not read ends the connection
    if path == "/1/upload.json":
        assert b'"code": 1004' in answer  # the service's own "too large"
    if path == "/api/upload":
        assert b'code="1004"' in answer


def test_a_chunked_body_is_refused_once_it_passes_the_limit(box: Sandbox) -> None:
    sent = 0
    chunk = b"a" * 65536
    with _connect(box) as sock:
        sock.sendall(_upload_head("/1/upload.json", "Transfer-Encoding: chunked\r\n"))
        part = b'--xyz\r\nContent-Disposition: form-data; name="media"; filename="a"\r\n\r\n'
        sock.sendall(_chunk(part))
        while sent < 256 * 1024 * 1024:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(_chunk(chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = _answer(sock, within=10)
    # The limit for the 4 MB media limit is about 6.4 MB of body; a few socket buffers more.
    assert sent < 32 * 1024 * 1024
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b'"code": 1004' in answer


def test_the_hosts_listing_names_credentials_never_shows_them(box: Sandbox) -> None:
    for auth, key in (("Bearer some-real-users-token-123", "a-real-key-456"), (None, None)):
        headers = {"Content-Type": "image/png", "X-Api-Key": "another-real-key-789"}
        if auth:
            headers["Authorization"] = auth
        query = f"?key={key}&n=a.png" if key else f"?key={SANDBOX.host_key}"
        req = urllib.request.Request(
            box.url + "/hosts/text" + query, data=b"\x89PNG\r\n\x1a\n", headers=headers
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(req, timeout=10)
    listing = json.dumps(box.host_requests())
    for secret in ("some-real-users-token-123", "a-real-key-456", "another-real-key-789"):
        assert secret not in listing
    first, second = box.host_requests()
    assert first["authorization"] == "*** (32 characters)"
    assert first["query"] == {"key": "*** (14 characters)", "n": "a.png"}
    assert second["query"] == {"key": "<host_key>"}


@pytest.mark.parametrize(
    "change",
    [
        {"max_size": "lots"},
        {"max_size": -1},
        {"max_size": True},
        {"delay": "slow"},
        {"delay": -2},
        {"fail_next": 1.5},
        {"retry_after": 5},
        {"maintenance": "no"},
        {"imgur_credits": "many"},
        {"colour": "blue"},
    ],
)
def test_bad_state_changes_are_refused_and_change_nothing(
    box: Sandbox, change: dict[str, object]
) -> None:
    before = box.set_state()
    req = urllib.request.Request(
        box.url + "/_sandbox/state",
        data=json.dumps({"delay": 0.25, **change}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 400
    name = next(iter(change))
    assert name in info.value.read().decode()
    assert box.set_state() == before  # not even the good field of the request


def _verify(box: Sandbox, **client_args: object) -> int:
    client = Client(
        SANDBOX.consumer_key,
        client_secret=SANDBOX.consumer_secret,
        resource_owner_key=SANDBOX.token,
        resource_owner_secret=SANDBOX.token_secret,
        **client_args,  # type: ignore[arg-type]
    )
    uri, headers, _ = client.sign(box.url + "/1/account/verify_credentials.json")
    try:
        with urllib.request.urlopen(urllib.request.Request(uri, headers=headers), timeout=10):
            return 200
    except urllib.error.HTTPError as err:
        return err.code


def test_only_hmac_sha1_and_the_query_string_is_honoured(box: Sandbox) -> None:
    assert _verify(box) == 200
    assert _verify(box, signature_type=SIGNATURE_TYPE_QUERY) == 200  # RFC 5849 3.5.3
    assert _verify(box, signature_method=SIGNATURE_HMAC_SHA256) == 401
    assert _verify(box, signature_method=SIGNATURE_PLAINTEXT) == 401


def test_stopped_it_leaves_nothing_behind_and_logs_only_when_asked(tmp_path: Path) -> None:
    temp, log = tmp_path / "temp", tmp_path / "access.log"
    temp.mkdir()
    proc = subprocess.Popen(
        [installed_pixup(), "sandbox", "--port", "0", "--log", str(log)],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
    assert "(removed when it stops)" in proc.stdout.readline()
    with urllib.request.urlopen(url + "/1/ping.json", timeout=10) as resp:
        assert resp.status == 200
    assert len(list(temp.iterdir())) == 1  # its folder of uploads
    proc.send_signal(signal.SIGTERM)  # what `kill %1` sends
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert err == ""  # the access log went to the file, not the terminal
    assert "GET /1/ping.json" in log.read_text()
    assert list(temp.iterdir()) == []
