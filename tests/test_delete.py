"""`pixup delete` against the sandbox's hosts: a custom provider's DeletionURL (GET, as
ShareX opens it), Imgur's DELETE /3/image/{deletehash}, and uploads that cannot be
deleted; what the ledger records; what is never sent."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import FIXTURES, Sandbox, installed_pixup

from pixup.sandbox.accounts import SANDBOX

PNG = FIXTURES / "sample.png"


def pixup(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_pixup(), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def status_of(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env(), "PIXUP_PICHOST_JSON_AUTHORIZATION": SANDBOX.host_token}


def test_a_custom_providers_upload_is_deleted_by_its_deletion_url(
    box: Sandbox, env: dict[str, str]
) -> None:
    added = pixup(["provider", "add", str(FIXTURES / "sxcu" / "pictshare-json.sxcu")], env)
    assert added.returncode == 0, added.stderr
    up = pixup(
        ["upload", "-s", "pichost-json", str(PNG), "--endpoint", box.url + "/hosts/json"], env
    )
    assert up.returncode == 0, up.stderr
    url = up.stdout.strip()
    # No terminal to confirm at, no --yes: refused, nothing sent.
    asked = pixup(["delete", url], env)
    assert asked.returncode == 2 and "needs --yes" in asked.stderr
    dry = pixup(["delete", url, "--dry-run"], env)
    assert dry.returncode == 0
    assert dry.stdout.startswith(f"would send GET {box.url}/hosts/delete/")
    assert status_of(url) == 200  # still there
    # The history says it can be deleted, and how.
    assert "(pixup delete 1)" in pixup(["history"], env).stdout
    done = pixup(["delete", url, "-y", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "ok": True,
        "id": 1,
        "file": str(PNG),
        "url": url,
        "deleted": True,
    }
    assert status_of(url) == 404  # gone at the host
    [record] = [json.loads(line) for line in pixup(["history", "--json"], env).stdout.splitlines()]
    assert record["deleted"] is not None
    assert f"deleted: {url}" in pixup(["history"], env).stdout
    again = pixup(["delete", "1", "-y"], env)
    assert again.returncode == 2 and "already deleted" in again.stderr


def test_an_imgur_upload_is_deleted_with_its_delete_hash_and_credentials(
    box: Sandbox, env: dict[str, str]
) -> None:
    up = pixup(["upload", "-s", "imgur", str(PNG), "--json"], env)
    assert up.returncode == 0, up.stderr
    deletion = json.loads(up.stdout)["media"]["deletion_url"]
    assert deletion.startswith(f"{box.url}/3/image/")
    # Imgur's credentials go only to the Imgur base URL in effect.
    elsewhere = pixup(["delete", "1", "-y", "--endpoint", "http://127.0.0.1:9"], env)
    assert elsewhere.returncode == 2 and "where Imgur credentials go" in elsewhere.stderr
    done = pixup(["delete", "1", "-y"], env)
    assert done.returncode == 0, done.stderr
    assert SANDBOX.imgur_client_id not in done.stdout + done.stderr
    # The sandbox no longer knows the delete hash.
    client = {"Authorization": f"Client-ID {SANDBOX.imgur_client_id}"}
    assert status_of(deletion, "DELETE", client) == 404


def test_an_upload_without_a_deletion_url_says_so(box: Sandbox, env: dict[str, str]) -> None:
    assert pixup(["upload", str(PNG)], env).returncode == 0  # TwitrPix: no delete
    result = pixup(["delete", "1", "-y", "--json"], env)
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert "gave no deletion URL" in error["message"]
    missing = pixup(["delete", "http://nowhere.example/x", "-y"], env)
    assert missing.returncode == 1 and "no successful upload" in missing.stderr


def test_a_refusing_host_is_reported_and_nothing_is_marked(
    box: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    added = pixup(["provider", "add", str(FIXTURES / "sxcu" / "pictshare-json.sxcu")], env)
    assert added.returncode == 0
    up = pixup(
        ["upload", "-s", "pichost-json", str(PNG), "--endpoint", box.url + "/hosts/json"], env
    )
    url = up.stdout.strip()
    item = url.rsplit("/", 1)[1]
    assert status_of(f"{box.url}/hosts/delete/{item}") == 200  # deleted behind pixup's back
    result = pixup(["delete", url, "-y"], env)
    assert result.returncode == 6, result.stderr  # a 404 is the server's failure (exit 6)
    assert "did not delete it (HTTP 404)" in result.stderr
    [record] = [json.loads(line) for line in pixup(["history", "--json"], env).stdout.splitlines()]
    assert record["deleted"] is None


def test_a_provider_file_says_how_its_deletion_url_is_used(
    box: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "poster.toml"
    path.write_text(
        'format = 1\ntitle = "Poster"\n[request]\nurl = "https://poster.example/up"\n'
        'body = "multipart"\nfile_field = "image"\n[request.headers]\n'
        'Authorization = "Bearer {secret:token}"\n[response]\nurl = "{json:data.link}"\n'
        'deletion_url = "{json:data.delete}"\n[delete]\nmethod = "post"\ndata = "confirm=yes"\n'
        '[secrets]\ntoken = "API token"\n'
    )
    assert pixup(["provider", "add", str(path)], env).returncode == 0
    env = {**env, "PIXUP_POSTER_TOKEN": SANDBOX.host_token}
    up = pixup(["upload", "-s", "poster", str(PNG), "--endpoint", box.url + "/hosts/json"], env)
    assert up.returncode == 0, up.stderr
    dry = pixup(["delete", "1", "--dry-run", "--json"], env)
    request = json.loads(dry.stdout)["request"]
    assert (request["method"], request["url"].split("/hosts/")[1][:7]) == ("POST", "delete/")
    done = pixup(["delete", "1", "-y"], env)
    assert done.returncode == 0, done.stderr
    assert status_of(up.stdout.strip()) == 404
    exported = pixup(["provider", "export", "poster"], env).stdout
    assert 'method = "POST"' in exported and 'data = "confirm=yes"' in exported
    bad = tmp_path / "bad.toml"
    bad.write_text(path.read_text().replace('method = "post"', 'method = "PUT"'))
    refused = pixup(["provider", "add", str(bad), "--name", "bad"], env)
    assert refused.returncode == 2 and "delete.method 'PUT'" in refused.stderr
