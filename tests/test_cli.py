"""The commands through Typer's runner, talking real HTTP to the sandbox process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Sandbox
from typer.testing import CliRunner

from pixup.cli import app
from pixup.sandbox.accounts import SANDBOX

runner = CliRunner()


def run(args: list[str], env: dict[str, str]) -> Any:
    return runner.invoke(app, args, env=env)


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def env(box: Sandbox, clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, **box.env()}


def _expected_twitrpix(box: Sandbox, file: str, api: int, media_id: str) -> dict[str, Any]:
    base = box.url
    return {
        "ok": True,
        "service": "twitrpix",
        "api": api,
        "file": file,
        "media": {
            "id": media_id,
            "url": f"{base}/{media_id}",
            "thumb_url": f"{base}/thumb/{media_id}",
            "full_url": f"{base}/{media_id}",
            "deletion_url": None,
            "text": f"{base}/{media_id} [pic] hello",
            "width": None,
            "height": None,
            "size": None,
            "type": None,
            "timestamp": None,
        },
        "user": {
            "id": SANDBOX.user_id,
            "screen_name": SANDBOX.screen_name,
            "profile_url": f"{base}/user/{SANDBOX.screen_name}",
        },
        "status_id": None,
    }


@pytest.mark.parametrize("api", [1, 2])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_twitrpix_upload_json_document(
    box: Sandbox, env: dict[str, str], png: Path, api: int, fmt: str
) -> None:
    result = run(
        ["upload", str(png), "--api", str(api), "--format", fmt, "-m", "hello", "--json"], env
    )
    assert result.exit_code == 0, result.stderr
    [upload] = box.uploads()
    assert (upload["service"], upload["api"], upload["message"]) == ("twitrpix", api, "hello")
    assert lines(result.stdout) == [_expected_twitrpix(box, str(png), api, upload["id"])]
    # The stored bytes are the file's bytes.
    assert (box.data_dir / upload["id"]).read_bytes() == png.read_bytes()


def test_imgly_v2_upload_json_document(box: Sandbox, env: dict[str, str], png: Path) -> None:
    result = run(["upload", str(png), "-s", "imgly", "--json"], env)
    assert result.exit_code == 0, result.stderr
    [upload] = box.uploads()
    # No message given: none sent (the field is optional and sent only when given).
    assert "message" not in upload["fields"]
    media_id = upload["id"]
    assert lines(result.stdout) == [
        {
            "ok": True,
            "service": "imgly",
            "api": 2,
            "file": str(png),
            "media": {
                "id": media_id,
                "url": f"{box.url}/{media_id}",
                "thumb_url": f"{box.url}/show/thumb/{media_id}",
                "full_url": f"{box.url}/show/full/{media_id}",
                "deletion_url": None,
                "text": None,
                "width": 64,
                "height": 48,
                "size": png.stat().st_size,
                "type": "png",
                "timestamp": upload["timestamp"],
            },
            "user": {
                "id": SANDBOX.user_id,
                "screen_name": SANDBOX.screen_name,
                "profile_url": None,
            },
            "status_id": None,
        }
    ]


def test_imgly_v1_upload_and_post(box: Sandbox, env: dict[str, str], png: Path) -> None:
    result = run(
        ["upload", str(png), "-s", "imgly", "--api", "1", "--post", "-m", "hi", "--json"], env
    )
    assert result.exit_code == 0, result.stderr
    [upload] = box.uploads()
    assert (upload["endpoint"], upload["posted"], upload["message"]) == (
        "uploadAndPost",
        True,
        "hi",
    )
    [doc] = lines(result.stdout)
    assert doc["media"]["id"] == upload["id"]
    assert doc["status_id"] is not None and doc["status_id"].isdigit()
    assert doc["user"]["id"] == SANDBOX.user_id


def test_base64_mode_reaches_the_server_as_the_same_bytes(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    result = run(["upload", str(png), "--base64", "--json"], env)
    assert result.exit_code == 0, result.stderr
    [upload] = box.uploads()
    assert upload["base64"] is True
    assert (box.data_dir / upload["id"]).read_bytes() == png.read_bytes()


def test_default_output_is_the_url_alone(box: Sandbox, env: dict[str, str], png: Path) -> None:
    # One at a time, so the server sees them in the order given (test_batches checks -j order).
    result = run(["upload", str(png), str(png), "-j", "1"], env)
    assert result.exit_code == 0
    ids = [u["id"] for u in box.uploads()]
    assert result.stdout == "".join(f"{box.url}/{i}\n" for i in ids)


@pytest.mark.parametrize(
    ("extra_env", "args", "exit_code", "kind", "code", "status"),
    [
        ({"PIXUP_TWITRPIX_API_KEY": "wrong-key"}, [], 3, "auth", 999, 400),
        ({"PIXUP_OAUTH_TOKEN_SECRET": "wrong-secret"}, [], 3, "auth", 1001, 400),
        ({"PIXUP_OAUTH_TOKEN_SECRET": "wrong-secret"}, ["--api", "2"], 3, "auth", 1001, 400),
        ({"PIXUP_OAUTH_TOKEN_SECRET": "wrong-secret"}, ["-s", "imgly"], 3, "auth", None, 401),
        ({"PIXUP_PASSWORD": "wrong-password"}, ["-s", "imgly", "--api", "1"], 3, "auth", 1001, 200),
    ],
)
def test_rejected_credentials_give_auth_errors(
    box: Sandbox,
    env: dict[str, str],
    png: Path,
    extra_env: dict[str, str],
    args: list[str],
    exit_code: int,
    kind: str,
    code: int | None,
    status: int,
) -> None:
    result = run(["upload", str(png), "--json", *args], {**env, **extra_env})
    assert result.exit_code == exit_code
    [doc] = lines(result.stdout)
    assert doc["ok"] is False
    assert doc["error"]["kind"] == kind
    assert (doc["error"]["code"], doc["error"]["http_status"]) == (code, status)
    assert box.uploads() == []
    assert len(result.stderr.splitlines()) == 1


def test_over_size_media_is_rejected_by_the_service(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    box.set_state(max_size=100)
    result = run(["upload", str(png), "--json"], env)
    assert result.exit_code == 4
    [doc] = lines(result.stdout)
    assert doc["error"] == {
        "kind": "rejected",
        "code": 1004,
        "http_status": 400,
        "message": "twitrpix: Media exceeds maximum size (error 1004)",
    }


def test_missing_credentials_name_the_variables(clean_env: dict[str, str], png: Path) -> None:
    result = run(["upload", str(png), "-s", "imgly", "--json"], clean_env)
    assert result.exit_code == 3
    assert lines(result.stdout) == [
        {
            "ok": False,
            "service": "imgly",
            "api": 2,
            "file": str(png),
            "error": {
                "kind": "auth",
                "code": None,
                "http_status": None,
                "message": "missing credentials for imgly API 2: OAuth consumer key, OAuth "
                "consumer secret, OAuth access token, OAuth access token secret; set "
                "PIXUP_OAUTH_CONSUMER_KEY, PIXUP_OAUTH_CONSUMER_SECRET, PIXUP_OAUTH_TOKEN, "
                "PIXUP_OAUTH_TOKEN_SECRET in the environment, or run `pixup config login`",
            },
        }
    ]


def test_several_files_every_one_tried_exit_code_of_the_first_failure(
    box: Sandbox, env: dict[str, str], png: Path, tmp_path: Path
) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    missing = tmp_path / "missing.png"
    result = run(["upload", str(text), str(png), str(missing), "--json"], env)
    assert result.exit_code == 4
    docs = lines(result.stdout)
    assert [d["file"] for d in docs] == [str(text), str(png), str(missing)]
    assert [d["ok"] for d in docs] == [False, True, False]
    assert docs[0]["error"]["message"].startswith("not a JPEG, PNG or GIF image")
    assert docs[2]["error"]["message"] == "no such file"
    # Only the real image reached the server.
    assert len(box.uploads()) == 1
    assert result.stderr.splitlines() == [
        f"pixup: error: {text}: not a JPEG, PNG or GIF image (judged by its first bytes, not its name; found text)",
        f"pixup: error: {missing}: no such file",
    ]


def test_unreachable_service_is_a_network_error(clean_env: dict[str, str], png: Path) -> None:
    env = {**clean_env, **SANDBOX.environment("http://127.0.0.1:9")}
    result = run(["upload", str(png), "--json"], env)
    assert result.exit_code == 5
    [doc] = lines(result.stdout)
    assert doc["error"]["kind"] == "network"
    assert "127.0.0.1:9" in doc["error"]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "flickr"], "bad value for --service: 'flickr' is not one of: twitrpix, imgly"),
        (["--api", "3"], "bad value for --api: '3' is not one of: 1, 2"),
        (["--format", "yaml"], "bad value for --format: 'yaml' is not one of: json, xml"),
        (["--endpoint", "not-a-url"], "bad value for --endpoint: 'not-a-url' is not an http"),
    ],
)
def test_usage_errors_exit_2_with_json_objects(
    env: dict[str, str], png: Path, args: list[str], message: str
) -> None:
    result = run(["upload", str(png), "--json", *args], env)
    assert result.exit_code == 2
    [doc] = lines(result.stdout)
    assert doc["error"]["kind"] == "usage"
    assert doc["error"]["message"].startswith(message)
    assert result.stderr.startswith("pixup: error: " + message)


def test_dry_run_sends_nothing_and_shows_no_secret(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    for args in (
        ["--api", "1", "-m", "hi"],
        ["--api", "2"],
        ["-s", "imgly"],
        ["-s", "imgly", "--api", "1"],
    ):
        result = run(["upload", str(png), "--dry-run", *args], env)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("POST http://127.0.0.1:")
        for secret in (
            SANDBOX.api_key,
            SANDBOX.consumer_secret,
            SANDBOX.token,
            SANDBOX.token_secret,
            SANDBOX.password,
        ):
            assert secret not in result.stdout + result.stderr
    assert box.uploads() == []
    result = run(["upload", str(png), "--dry-run", "--json"], env)
    [doc] = lines(result.stdout)
    assert doc["dry_run"] is True
    assert doc["request"]["url"] == f"{box.url}/1/upload.json"
    assert ["api_key", "***"] in doc["request"]["fields"]


def test_verbose_logs_the_exchange_without_secrets(
    box: Sandbox, env: dict[str, str], png: Path
) -> None:
    result = run(["upload", str(png), "-v"], env)
    assert result.exit_code == 0
    assert "pixup: request " in result.stderr
    assert "pixup: answer HTTP 200" in result.stderr
    for secret in SANDBOX.environment(box.url).values():
        if secret.startswith("http") or secret == SANDBOX.username:
            continue
        assert secret not in result.stderr


def test_long_message_warns_but_is_sent_whole(box: Sandbox, env: dict[str, str], png: Path) -> None:
    message = "x" * 130
    result = run(["upload", str(png), "-m", message], env)
    assert result.exit_code == 0
    assert "pixup: warning: the message is 130 characters" in result.stderr
    assert box.uploads()[0]["message"] == message


# --- ping -------------------------------------------------------------------------------


def test_ping_pong_and_maintenance(box: Sandbox, env: dict[str, str]) -> None:
    result = run(["ping", "--json"], env)
    assert result.exit_code == 0
    [doc] = lines(result.stdout)
    assert {k: doc[k] for k in ("ok", "service", "endpoint", "status", "error")} == {
        "ok": True,
        "service": "twitrpix",
        "endpoint": box.url,
        "status": "pong",
        "error": None,
    }
    assert isinstance(doc["latency_ms"], float) and doc["latency_ms"] >= 0
    box.set_state(maintenance=True)
    result = run(["ping", "--json", "--format", "xml"], env)
    assert result.exit_code == 6
    [doc] = lines(result.stdout)
    assert (doc["ok"], doc["status"], doc["error"]["kind"]) == (False, "maintenance", "server")
    assert result.stderr == "pixup: error: twitrpix is down for maintenance\n"


def test_ping_imgly_and_unreachable(box: Sandbox, env: dict[str, str]) -> None:
    result = run(["ping", "-s", "imgly"], env)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"imgly: up from {box.url} in ")
    result = run(["ping", "--endpoint", "http://127.0.0.1:9", "--json"], env)
    assert result.exit_code == 5
    [doc] = lines(result.stdout)
    assert (doc["status"], doc["latency_ms"], doc["error"]["kind"]) == (
        "unreachable",
        None,
        "network",
    )


# --- thumb-url --------------------------------------------------------------------------


def test_thumb_url_offline_forms(clean_env: dict[str, str]) -> None:
    assert (
        run(["thumb-url", "3de", "-s", "imgly"], clean_env).stdout
        == "http://img.ly/show/thumb/3de\n"
    )
    assert (
        run(["thumb-url", "http://img.ly/3de", "--html"], clean_env).stdout
        == '<a href="http://img.ly/3de"><img src="http://img.ly/show/thumb/3de"></a>\n'
    )
    assert (
        run(["thumb-url", "http://twitrpix.com/5kr", "--markdown"], clean_env).stdout
        == "[![5kr](http://img.twitrpix.com/thumb/5kr)](http://twitrpix.com/5kr)\n"
    )
    result = run(
        ["thumb-url", "http://img.ly/show/thumb/3de", "--size", "large", "--json"], clean_env
    )
    assert json.loads(result.stdout) == {
        "ok": True,
        "service": "imgly",
        "id": "3de",
        "size": "large",
        "thumb_url": "http://img.ly/show/large/3de",
        "media_url": "http://img.ly/3de",
        "html": '<a href="http://img.ly/3de"><img src="http://img.ly/show/large/3de"></a>',
        "markdown": "[![3de](http://img.ly/show/large/3de)](http://img.ly/3de)",
    }


def test_thumb_url_self_hosted_base_from_config(clean_env: dict[str, str]) -> None:
    assert run(["config", "set", "imgly.url", "http://pics.local:8080"], clean_env).exit_code == 0
    result = run(["thumb-url", "http://pics.local:8080/abc", "--size", "mini"], clean_env)
    assert result.stdout == "http://pics.local:8080/show/mini/abc\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["5kr", "--size", "mini"],
            "twitrpix has no thumbnail size 'mini'; choose one of: thumb, full",
        ),
        (["bad id!"], "'bad id!' is not a media id"),
        (["http://example.com/abc"], "cannot tell which service http://example.com/abc belongs to"),
        (["ftp://img.ly/abc"], "is not an http:// or https:// URL"),
        (["http://img.ly/"], "has no media id in its path"),
        (["3de", "--html", "--markdown"], "--html and --markdown cannot be used together"),
    ],
)
def test_thumb_url_usage_errors(clean_env: dict[str, str], args: list[str], message: str) -> None:
    result = run(["thumb-url", *args], clean_env)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


# --- config -----------------------------------------------------------------------------


def test_config_commands(clean_env: dict[str, str]) -> None:
    path = Path(clean_env["PIXUP_CONFIG_DIR"]) / "config.toml"
    assert run(["config", "path"], clean_env).stdout == f"{path}\n"
    assert run(["config", "set", "service", "imgly"], clean_env).exit_code == 0
    assert run(["config", "set", "twitrpix.api", "2"], clean_env).exit_code == 0
    assert run(["config", "get", "service"], clean_env).stdout == "imgly\n"
    assert run(["config", "list"], clean_env).stdout.startswith(
        "service = imgly\ntwitrpix.api = 2\ntwitrpix.api_key = <secret: unset>\n"
    )
    assert json.loads(run(["config", "list", "--json"], clean_env).stdout) == {
        "ok": True,
        "path": str(path),
        "values": {"service": "imgly", "twitrpix.api": 2},
        "secrets": {
            "twitrpix.api_key": "unset",
            "oauth.consumer_secret": "unset",
            "oauth.token": "unset",
            "oauth.token_secret": "unset",
            "imgly.password": "unset",
            "imgur.client_secret": "unset",
            "imgur.access_token": "unset",
            "imgur.refresh_token": "unset",
        },
    }
    # A secret in the environment is set, whatever the keyring says (here: nothing).
    listed = run(["config", "list"], {**clean_env, "PIXUP_TWITRPIX_API_KEY": "k-from-env"})
    assert "twitrpix.api_key = <secret: set (env)>\n" in listed.stdout
    assert "k-from-env" not in listed.stdout
    assert run(["config", "unset", "service"], clean_env).exit_code == 0
    missing = run(["config", "get", "service"], clean_env)
    assert (missing.exit_code, missing.stdout, missing.stderr) == (
        1,
        "",
        "pixup: error: service is not set\n",
    )
    bad = run(["config", "set", "imgly.api", "5"], clean_env)
    assert bad.exit_code == 2
    assert bad.stderr == "pixup: error: bad value for imgly.api: '5' is not one of: 2, 1\n"
    unknown = run(["config", "get", "nope"], clean_env)
    assert unknown.exit_code == 2 and "valid keys: service, timeout" in unknown.stderr


def test_config_list_effective_says_what_is_in_effect_and_where_from(
    clean_env: dict[str, str],
) -> None:
    run(["config", "set", "timeout", "12"], clean_env)
    Path(clean_env["PIXUP_TEST_KEYRING_FILE"]).write_text(
        json.dumps({"pixup/oauth.token": "tok-from-keyring-123456"})
    )
    env = {
        **clean_env,
        "PIXUP_TWITRPIX_API": "1",
        "PIXUP_TWITRPIX_API_KEY": "key-from-env-123456",
        "PIXUP_OAUTH_CONSUMER_KEY": "consumer-public-1",
    }
    shown = run(["config", "list", "--effective"], env)
    assert shown.exit_code == 0, shown.stderr
    rows = {
        line.split(" = ")[0].strip(): line.split(" = ")[1] for line in shown.stdout.splitlines()
    }
    assert rows["service"] == "twitrpix  (default)"
    assert rows["twitrpix.api"] == "1  (env PIXUP_TWITRPIX_API)"
    assert rows["timeout"] == "12.0  (config)"
    assert rows["twitrpix.max_size"] == "4.0 MiB  (default)"
    assert rows["twitrpix.api_key"] == "<secret: set (env)>"
    assert rows["oauth.token"] == "<secret: set (keyring)>"
    assert rows["oauth.token_secret"] == "<secret: missing>"
    assert rows["oauth.consumer_key"] == "consumer-public-1  (env)"  # not a secret: shown
    for secret in ("key-from-env-123456", "tok-from-keyring-123456"):
        assert secret not in shown.stdout
    # A flag names another service; --json gives the same facts.
    doc = json.loads(run(["config", "list", "-s", "imgly", "--json"], env).stdout)
    assert (doc["service"], doc["api"]) == ("imgly", 2)
    assert doc["values"]["service"] == {"value": "imgly", "source": "flag"}
    assert doc["values"]["timeout"] == {"value": 12.0, "source": "config"}
    assert doc["credentials"]["oauth.token"] == {"secret": True, "source": "keyring"}
    assert "tok-from-keyring-123456" not in json.dumps(doc)


def test_the_config_service_is_the_default(box: Sandbox, env: dict[str, str], png: Path) -> None:
    run(["config", "set", "service", "imgly"], env)
    result = run(["upload", str(png), "--json"], env)
    assert lines(result.stdout)[0]["service"] == "imgly"


def test_broken_config_file_is_named_and_kept(env: dict[str, str], png: Path) -> None:
    path = Path(env["PIXUP_CONFIG_DIR"]) / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("service = \n")
    result = run(["upload", str(png)], env)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"pixup: error: {path}: invalid TOML")
    assert "line 1" in result.stderr
    assert path.read_text() == "service = \n"
