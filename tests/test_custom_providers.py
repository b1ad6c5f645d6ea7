"""Custom providers end to end: realistic ShareX uploaders (.sxcu) imported with
`pixup provider add`, their inline secrets moved into a real keyring backend, then uploads
through each to the sandbox's generic image hosts, which answer as such hosts do (JSON, XML,
plain text, a redirect). The file that comes back is compared byte for byte."""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, Sandbox, installed_pixup, keyring_file

from pixup.sandbox.accounts import SANDBOX

SXCU = FIXTURES / "sxcu"
PNG = FIXTURES / "sample.png"
TOKEN, KEY = SANDBOX.host_token, SANDBOX.host_key


def pixup(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_pixup(), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def provider_file(env: dict[str, str], name: str) -> Path:
    return Path(env["PIXUP_CONFIG_DIR"]) / "providers" / f"{name}.toml"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        data: bytes = resp.read()
    return data


# fixture, the sandbox host it is pointed at, provider name, secrets moved, thumb, deletion
CASES = [
    ("pictshare-json.sxcu", "json", "pichost-json", {"authorization": TOKEN}, True, True),
    ("flickrish-xml.sxcu", "xml", "xml-gallery", {"api_key": KEY}, True, True),
    ("transfer-binary.sxcu", "text", "drop-example", {"x_api_key": KEY}, False, True),
    ("imgbb-form.sxcu", "form", "imgbox-form", {"key": KEY}, True, True),
    ("jsonapi-body.sxcu", "jsonbody", "json-api", {"authorization": TOKEN}, False, False),
    ("query-regex.sxcu", "query", "paste-query", {"key": KEY}, False, False),
    ("xml-body.sxcu", "xmlbody", "xml-body", {}, False, False),
    ("legacy-puush.sxcu", "json", "legacy-host", {"authorization": TOKEN}, True, True),
    ("nulls-json.sxcu", "json", "null-args-host", {"authorization": TOKEN}, False, False),
    ("namespaced-xml.sxcu", "nsxml", "namespaced-xml", {"api_key": KEY}, True, False),
]


@pytest.mark.parametrize(("fixture", "kind", "name", "secrets", "thumb", "deletion"), CASES)
def test_import_then_upload_through_each_uploader(
    box: Sandbox,
    clean_env: dict[str, str],
    fixture: str,
    kind: str,
    name: str,
    secrets: dict[str, str],
    thumb: bool,
    deletion: bool,
) -> None:
    added = pixup(["provider", "add", str(SXCU / fixture), "--json"], clean_env)
    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert (report["provider"], sorted(report["secrets"])) == (name, sorted(secrets))

    # The secrets left the file for the keyring, and the messages never show them.
    stored = provider_file(clean_env, name).read_text()
    ring = keyring_file(clean_env)
    for secret, value in secrets.items():
        assert value not in stored
        assert f"{{secret:{secret}}}" in stored
        assert ring[f"pixup/{name}.{secret}"] == value
        assert value not in added.stdout + added.stderr
    if secrets:
        assert "into the keyring" in added.stderr

    endpoint = f"{box.url}/hosts/{kind}"
    done = pixup(["upload", "-s", name, str(PNG), "--endpoint", endpoint, "--json"], clean_env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    media = doc["media"]
    assert doc["ok"] is True and doc["service"] == name
    assert media["url"].startswith(f"{box.url}/hosts/i/")
    assert fetch(media["url"]) == PNG.read_bytes()
    assert (media["thumb_url"] is not None, media["deletion_url"] is not None) == (thumb, deletion)
    if deletion:
        assert media["deletion_url"].startswith(f"{box.url}/hosts/delete/")

    [received] = box.host_requests()
    assert received["kind"] == kind
    if fixture == "nulls-json.sxcu":  # null arguments go as empty fields, as ShareX sends them
        assert received["empty_fields"] == ["album", "description"]
        assert set(received["fields"]) == {"album", "description", "title"}
    assert received["sha256"] == hashlib.sha256(PNG.read_bytes()).hexdigest()
    for value in secrets.values():
        assert value not in done.stdout + done.stderr


def test_request_shapes_match_what_sharex_sends(box: Sandbox, clean_env: dict[str, str]) -> None:
    """File field, form fields, method, body type and the {filename} in each place."""
    for fixture in ("pictshare-json.sxcu", "transfer-binary.sxcu", "imgbb-form.sxcu"):
        assert pixup(["provider", "add", str(SXCU / fixture)], clean_env).returncode == 0
    url = box.url + "/hosts/"
    upload = ["upload", str(PNG), "--endpoint"]
    assert pixup([*upload, url + "json", "-s", "pichost-json"], clean_env).returncode == 0
    assert (
        pixup([*upload, url + "text?n={filename}", "-s", "drop-example"], clean_env).returncode == 0
    )
    assert pixup([*upload, url + "form", "-s", "imgbox-form"], clean_env).returncode == 0
    multipart, binary, form = box.host_requests()
    assert (multipart["method"], multipart["content_type"]) == ("POST", "multipart/form-data")
    assert (multipart["file_field"], multipart["fields"]) == ("image", ["title", "type"])
    assert multipart["filename"] == "sample.png"
    # The listing names which credential came, never its value.
    assert multipart["authorization"] == "Bearer <host_token>"
    assert (binary["method"], binary["content_type"]) == ("PUT", "image/png")
    assert binary["query"] == {"n": "sample.png"} and binary["api_key"] == "<host_key>"
    assert (form["content_type"], form["fields"]) == (
        "application/x-www-form-urlencoded",
        ["image", "name"],
    )
    assert form["query"] == {"key": "<host_key>"} and form["filename"] == "sample.png"


def _added(clean_env: dict[str, str], fixture: str) -> None:
    result = pixup(["provider", "add", str(SXCU / fixture)], clean_env)
    assert result.returncode == 0, result.stderr


def test_host_errors_come_through_the_error_message_template(
    box: Sandbox, clean_env: dict[str, str]
) -> None:
    _added(clean_env, "pictshare-json.sxcu")
    _added(clean_env, "flickrish-xml.sxcu")
    wrong = {**clean_env, "PIXUP_PICHOST_JSON_AUTHORIZATION": "not-the-token-123"}
    json_host = ["upload", "-s", "pichost-json", str(PNG), "--endpoint", box.url + "/hosts/json"]
    result = pixup([*json_host, "--json"], wrong)
    assert result.returncode == 3
    assert json.loads(result.stdout)["error"]["kind"] == "auth"
    assert result.stderr.strip() == f"pixup: error: {PNG}: pichost-json: HTTP 401: Invalid token"
    assert "not-the-token-123" not in result.stdout + result.stderr

    wrong = {**clean_env, "PIXUP_XML_GALLERY_API_KEY": "bad-key-456"}
    xml_host = ["upload", "-s", "xml-gallery", str(PNG), "--endpoint", box.url + "/hosts/xml"]
    result = pixup(xml_host, wrong)
    assert result.returncode == 3
    assert result.stderr.strip() == f"pixup: error: {PNG}: xml-gallery: HTTP 403: Invalid API key"


def test_a_chevereto_redirect_answer_is_the_upload_url_and_nothing_is_followed(
    box: Sandbox, clean_env: dict[str, str]
) -> None:
    added = pixup(["provider", "add", str(SXCU / "chevereto-redirect.sxcu"), "--json"], clean_env)
    assert added.returncode == 0, added.stderr
    assert "relies on a redirect" in added.stderr
    endpoint = f"{box.url}/hosts/chevereto"
    args = ["upload", "-s", "chevereto-redirect", str(PNG), "--endpoint", endpoint, "--json"]
    done = pixup(args, clean_env)
    assert done.returncode == 0, done.stderr
    url = json.loads(done.stdout)["media"]["url"]
    # The Location (relative, resolved against the upload's URL) is the answer...
    assert url.startswith(f"{box.url}/hosts/i/")
    assert fetch(url) == PNG.read_bytes()
    # ...and nothing was followed or sent again: the host saw the one upload.
    [received] = box.host_requests()
    assert (received["kind"], received["fields"]) == ("chevereto", ["format", "key"])
    # A wrong key: Chevereto's own message, exit 4 (HTTP 400).
    wrong = {**clean_env, "PIXUP_CHEVERETO_REDIRECT_KEY": "not-the-key-123"}
    refused = pixup(args[:-1], wrong)
    assert refused.returncode == 4, refused.stderr
    assert "HTTP 400" in refused.stderr


def test_a_failure_inside_http_200_shows_the_hosts_message_and_its_exit_code(
    box: Sandbox, clean_env: dict[str, str], tmp_path: Path
) -> None:
    _added(clean_env, "twitpic-200.sxcu")
    endpoint = f"{box.url}/hosts/twitpic"
    args = ["upload", "-s", "twitpic-style", "--endpoint", endpoint]
    done = pixup([*args, str(PNG)], clean_env)
    assert done.returncode == 0, done.stderr
    assert fetch(done.stdout.strip()) == PNG.read_bytes()
    # Its words are about the key: exit 3, the host's message, not its XML.
    wrong = {**clean_env, "PIXUP_TWITPIC_STYLE_KEY": "not-the-key-123"}
    refused = pixup([*args, str(PNG)], wrong)
    assert refused.returncode == 3, refused.stderr
    assert refused.stderr.strip().endswith("twitpic-style: Invalid API key or login (HTTP 200)")
    assert "<rsp" not in refused.stderr
    # Any other failure in a 200 is exit 6, again in the host's words: here the file goes
    # in a field the host does not read.
    misnamed = tmp_path / "misnamed.sxcu"
    text = (SXCU / "twitpic-200.sxcu").read_text()
    misnamed.write_text(text.replace('"media"', '"photo"').replace("TwitPic Style", "Misnamed"))
    assert pixup(["provider", "add", str(misnamed)], clean_env).returncode == 0
    other = pixup(
        ["upload", "-s", "misnamed", "--endpoint", endpoint, str(PNG), "--json"], clean_env
    )
    assert other.returncode == 6, other.stderr
    error = json.loads(other.stdout)["error"]
    assert (error["kind"], error["message"]) == ("server", "misnamed: Image not found (HTTP 200)")


def test_a_redirect_is_refused_and_not_followed(box: Sandbox, clean_env: dict[str, str]) -> None:
    _added(clean_env, "redirecting.sxcu")
    args = ["upload", "-s", "moved-example", str(PNG), "--endpoint", box.url + "/hosts/redirect"]
    result = pixup(args, clean_env)
    assert result.returncode == 6
    assert "redirected the upload" in result.stderr
    assert [r["kind"] for r in box.host_requests()] == ["redirect"]  # never "elsewhere"


def test_an_answer_without_the_url_is_a_server_error(
    box: Sandbox, clean_env: dict[str, str]
) -> None:
    _added(clean_env, "flickrish-xml.sxcu")
    # The JSON host answers JSON; the XML uploader's {xml:...} cannot read it.
    args = ["upload", "-s", "xml-gallery", str(PNG), "--endpoint", box.url + "/hosts/elsewhere"]
    result = pixup(args, clean_env)
    assert result.returncode == 6
    assert "the answer is not XML" in result.stderr


MALFORMED = [
    ("{not json", "bad JSON"),
    ('["a list"]', "not a JSON object"),
    ('{"RequestURL": "https://x.example/u", "Body": "GraphQL"}', "Body 'GraphQL' is not one of"),
    ('{"Body": "MultipartFormData", "FileFormName": "f"}', "RequestURL is missing"),
    (
        '{"RequestURL": "https://x.example/u", "Body": "MultipartFormData"}',
        "FileFormName is missing",
    ),
    ('{"RequestURL": "https://x.example/u", "Sparkles": 1}', "unsupported key(s) Sparkles"),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "DestinationType": '
        '"URLShortener", "Body": "JSON", "Data": "{\\"u\\": \\"{input}\\"}"}',
        "is a URLShortener uploader",
    ),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "Body": "MultipartFormData",'
        ' "FileFormName": "f", "URL": "{outputbox:done}"}',
        "{outputbox} is not supported",
    ),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "Body": "MultipartFormData",'
        ' "FileFormName": "f", "URL": "{json:data.link"}',
        "is never closed",
    ),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "Body": "MultipartFormData",'
        ' "FileFormName": "f", "URL": "{sparkle:x}"}',
        "unknown function {sparkle}",
    ),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "Body": "JSON",'
        ' "Data": "{\\"name\\": \\"{filename}\\"}"}',
        "would send no image",
    ),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "Body": "MultipartFormData",'
        ' "FileFormName": "f", "Headers": {"X-Id": "{json:id}"}}',
        "reads the answer, which does not exist yet",
    ),
    (
        '{"Version": "15.0.0", "RequestURL": "https://x.example/u", "Body": "MultipartFormData",'
        ' "FileFormName": "f", "URL": "{xml://*[local-name()=\'url\'}"}',
        "is not valid XPath 1.0",
    ),
    # A text uploader that names no DestinationType: refused as one, not for its form.
    (
        '{"Version": "13.0.0", "RequestURL": "https://paste.example/api", "Body":'
        ' "FormURLEncoded", "Arguments": {"content": "$input$", "key": null}, "URL": "$response$"}',
        "names no DestinationType and sends {input}",
    ),
]


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_malformed_uploaders_give_clear_import_errors(
    clean_env: dict[str, str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "broken.sxcu"
    path.write_text(content)
    result = pixup(["provider", "add", str(path)], clean_env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("pixup: error: ") and message in line
    assert not (Path(clean_env["PIXUP_CONFIG_DIR"]) / "providers").exists()
    assert keyring_file(clean_env) == {}


def test_list_show_export_reimport_and_remove(box: Sandbox, clean_env: dict[str, str]) -> None:
    _added(clean_env, "pictshare-json.sxcu")
    listed = json.loads(pixup(["provider", "list", "--json"], clean_env).stdout)["providers"]
    assert [(p["name"], p["builtin"]) for p in listed] == [
        ("twitrpix", True),
        ("imgly", True),
        ("imgur", True),
        ("pichost-json", False),
    ]
    shown = json.loads(pixup(["provider", "show", "pichost-json", "--json"], clean_env).stdout)
    assert shown["secrets"] == {"authorization": "keyring"}
    assert shown["definition"]["request"]["headers"] == {
        "Authorization": "Bearer {secret:authorization}"
    }

    exported = pixup(["provider", "export", "pichost-json"], clean_env)
    assert exported.returncode == 0 and TOKEN not in exported.stdout
    native = Path(clean_env["PIXUP_CONFIG_DIR"]).parent / "mine.toml"
    native.write_text(exported.stdout)
    assert pixup(["provider", "add", str(native)], clean_env).returncode == 0
    # The copy has its own secrets: given here in the environment.
    env = {**clean_env, "PIXUP_MINE_AUTHORIZATION": TOKEN}
    upload = ["upload", "-s", "mine", str(PNG), "--endpoint", box.url + "/hosts/json"]
    assert pixup(upload, env).stdout.startswith(f"{box.url}/hosts/i/")

    removed = pixup(["provider", "remove", "pichost-json"], clean_env)
    assert removed.returncode == 0, removed.stderr
    assert not provider_file(clean_env, "pichost-json").exists()
    assert "pixup/pichost-json.authorization" not in keyring_file(clean_env)
    gone = pixup(["upload", "-s", "pichost-json", str(PNG)], clean_env)
    assert gone.returncode == 2 and "'pichost-json' is not one of" in gone.stderr
    assert pixup(["provider", "remove", "twitrpix"], clean_env).returncode == 2


def test_keyring_off_import_names_the_variables_and_keeps_no_secret(
    box: Sandbox, clean_env: dict[str, str]
) -> None:
    result = pixup(["--no-keyring", "provider", "add", str(SXCU / "imgbb-form.sxcu")], clean_env)
    assert result.returncode == 0, result.stderr
    assert "set PIXUP_IMGBOX_FORM_KEY in the environment" in result.stderr
    assert KEY not in result.stderr + provider_file(clean_env, "imgbox-form").read_text()
    assert keyring_file(clean_env) == {}
    args = ["upload", "-s", "imgbox-form", str(PNG), "--endpoint", box.url + "/hosts/form"]
    missing = pixup(["--no-keyring", *args], clean_env)
    assert missing.returncode == 3 and "PIXUP_IMGBOX_FORM_KEY" in missing.stderr
    done = pixup(args, {**clean_env, "PIXUP_IMGBOX_FORM_KEY": KEY})
    assert done.returncode == 0, done.stderr


def test_secret_command_and_dry_run_redaction(box: Sandbox, clean_env: dict[str, str]) -> None:
    _added(clean_env, "imgbb-form.sxcu")
    stored = pixup(["provider", "secret", "imgbox-form", "key"], clean_env, stdin="new-key-7788\n")
    assert stored.returncode == 0, stored.stderr
    assert keyring_file(clean_env)["pixup/imgbox-form.key"] == "new-key-7788"
    dry = pixup(["upload", "-s", "imgbox-form", str(PNG), "--dry-run", "-v"], clean_env)
    assert dry.returncode == 0
    assert "new-key-7788" not in dry.stdout + dry.stderr and "key=***" in dry.stdout
    unknown = pixup(["provider", "secret", "imgbox-form", "nope"], clean_env, stdin="x\n")
    assert unknown.returncode == 2 and "has no secret 'nope'" in unknown.stderr


def test_native_provider_with_links_for_thumb_url(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "gallery.toml"
    path.write_text(
        'format = 1\ntitle = "Gallery"\n[request]\nurl = "https://gallery.example/up"\n'
        'body = "multipart"\nfile_field = "file"\n[links]\n'
        'media = "https://gallery.example/p/{id}"\nthumbnail = "https://cdn.gallery.example/t/{id}.jpg"\n'
        'hosts = ["gallery.example"]\n'
    )
    assert pixup(["provider", "add", str(path)], clean_env).returncode == 0
    thumb = pixup(["thumb-url", "ab12", "-s", "gallery"], clean_env)
    assert thumb.stdout.strip() == "https://cdn.gallery.example/t/ab12.jpg"
    by_url = pixup(["thumb-url", "https://gallery.example/p/ab12", "--json"], clean_env)
    doc: dict[str, Any] = json.loads(by_url.stdout)
    assert (doc["service"], doc["media_url"]) == ("gallery", "https://gallery.example/p/ab12")


def test_a_broken_provider_file_is_reported_and_spares_the_others(
    clean_env: dict[str, str],
) -> None:
    folder = Path(clean_env["PIXUP_CONFIG_DIR"]) / "providers"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text("format = 1\n[request]\nbody = 'carrier-pigeon'\n")
    listed = pixup(["provider", "list"], clean_env)
    assert listed.returncode == 0 and "broken" in listed.stdout and "BROKEN" in listed.stdout
    used = pixup(["upload", "-s", "broken", str(PNG)], clean_env)
    assert used.returncode == 2 and "request.url is missing" in used.stderr
    assert pixup(["thumb-url", "3de", "-s", "imgly"], clean_env).returncode == 0
    assert pixup(["provider", "remove", "broken"], clean_env).returncode == 0
    assert not (folder / "broken.toml").exists()


def test_a_huge_provider_file_is_refused_unread_and_spares_the_others(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # 54 MB of a valid .sxcu made every command parse it (20 s each).
    pad = "x" * (54 * 1024 * 1024)
    huge = tmp_path / "huge.sxcu"
    huge.write_text(
        json.dumps(
            {"Name": "huge", "RequestURL": "https://h.example/up", "Headers": {"X-Pad": pad}}
        )
    )
    added = pixup(["provider", "add", str(huge)], clean_env)
    assert added.returncode == 2
    assert "too large for a provider file (more than 256 KB)" in added.stderr
    folder = Path(clean_env["PIXUP_CONFIG_DIR"]) / "providers"
    assert not folder.exists()
    folder.mkdir(parents=True)
    (folder / "huge.toml").write_text(
        f'format = 1\n# {pad}\n[request]\nurl = "https://h.example"\n'
    )
    listed = pixup(["provider", "list"], clean_env)
    assert listed.returncode == 0 and "BROKEN" in listed.stdout
    used = pixup(["upload", "-s", "huge", str(PNG)], clean_env)
    assert used.returncode == 2 and "too large for a provider file" in used.stderr
    assert pixup(["thumb-url", "3de", "-s", "imgly"], clean_env).returncode == 0


def test_replacing_needs_force_and_files_are_private(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    _added(clean_env, "xml-body.sxcu")
    path = provider_file(clean_env, "xml-body")
    assert path.stat().st_mode & 0o777 == 0o600
    again = pixup(["provider", "add", str(SXCU / "xml-body.sxcu")], clean_env)
    assert again.returncode == 2 and "--force replaces it" in again.stderr
    renamed = pixup(
        ["provider", "add", str(SXCU / "xml-body.sxcu"), "--name", "Twitrpix"], clean_env
    )
    assert renamed.returncode == 2 and "built-in provider" in renamed.stderr
    assert (
        pixup(["provider", "add", str(SXCU / "xml-body.sxcu"), "--force"], clean_env).returncode
        == 0
    )


def test_codes_sharex_fills_from_a_screenshot_are_named_at_import(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "titled.sxcu"
    path.write_text(
        json.dumps(
            {
                "Version": "15.0.0",
                "RequestURL": "https://titled.example/up",
                "Body": "MultipartFormData",
                "FileFormName": "file",
                "Arguments": {"title": "%pn %y", "when": "%y-%mo-%d"},
            }
        )
    )
    result = pixup(["provider", "add", str(path)], clean_env)
    assert result.returncode == 0
    assert "Arguments.title uses %pn, which pixup sends as written" in result.stderr
    assert "Arguments.when" not in result.stderr


def test_a_header_value_cannot_smuggle_another_header(
    box: Sandbox, clean_env: dict[str, str]
) -> None:
    _added(clean_env, "pictshare-json.sxcu")
    env = {**clean_env, "PIXUP_PICHOST_JSON_AUTHORIZATION": "x\r\nX-Evil: 1"}
    args = ["upload", "-s", "pichost-json", str(PNG), "--endpoint", box.url + "/hosts/json"]
    result = pixup(args, env)
    assert result.returncode == 2
    assert "the Authorization header would contain a line break" in result.stderr
    assert box.host_requests() == []


ASKING = """format = 1
title = "Album host"
[request]
url = "https://album.example/up"
body = "multipart"
file_field = "file"
[request.fields]
album = "{prompt:Album|holiday}"
visibility = "{select:public|private}"
"""


def test_prompts_are_asked_once_per_run_at_a_terminal(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "album.toml"
    path.write_text(ASKING)
    assert pixup(["provider", "add", str(path)], clean_env).returncode == 0
    upload = [installed_pixup(), "upload", "-s", "album", str(PNG), str(PNG), "--dry-run"]
    # Without a terminal: a prompt takes its default, a choice cannot be made.
    result = pixup(upload[1:], clean_env)
    assert result.returncode == 2
    assert "asks to choose one of public, private, and there is no terminal" in result.stderr
    script = shutil.which("script")
    if script is None:
        pytest.skip("util-linux `script` (a pseudo-terminal) is not installed")
    at_tty = subprocess.run(
        [script, "-qec", shlex.join(upload), "/dev/null"],
        env=clean_env,
        input="summer\nprivate\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = at_tty.stdout.replace("\r", "")
    assert at_tty.returncode == 0, out
    assert out.count("Album [holiday]:") == 1  # two files, one question
    assert out.count("field album=summer") == 2 and out.count("field visibility=private") == 2


def test_provider_test_evaluates_the_templates_against_a_saved_answer(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    clean_env = {**clean_env, "PIXUP_PICHOST_JSON_AUTHORIZATION": "Bearer x-token-123456"}
    _added(clean_env, "pictshare-json.sxcu")
    good = tmp_path / "good.json"
    good.write_text(
        '{"data": {"link": "https://i.example/a.png", "thumb": "https://i.example/t.png"}}'
    )
    shown = pixup(["provider", "test", "pichost-json", "--response", str(good)], clean_env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["URL", "{json:data.link}", "->", "'https://i.example/a.png'"]
    assert "DeletionURL" in lines[2] and "''" in lines[2]  # data.delete is absent: empty
    assert lines[-1] == "an upload given this answer: succeeds with https://i.example/a.png"
    # An error answer: where each template fails, and what the upload would conclude.
    bad = tmp_path / "bad.json"
    bad.write_text('{"error": {"message": "Invalid token"}}')
    args = ["provider", "test", "pichost-json", "--response", str(bad), "--status", "401"]
    refused = pixup([*args, "--json"], clean_env)
    assert refused.returncode == 3
    doc = json.loads(refused.stdout)
    rows = {r["name"]: r for r in doc["templates"]}
    assert rows["ErrorMessage"]["value"] == "Invalid token"
    assert doc["error"]["message"] == "pichost-json: HTTP 401: Invalid token"
    notjson = tmp_path / "page.html"
    notjson.write_text("<html>oops</html>")
    broken = pixup(["provider", "test", "pichost-json", "--response", str(notjson)], clean_env)
    assert broken.returncode == 6
    assert "fails: " in broken.stdout.splitlines()[0]  # the URL template, and why
    # A redirect read as the answer (Chevereto): the Location, resolved against --url.
    _added(clean_env, "chevereto-redirect.sxcu")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    moved = pixup(
        [
            "provider",
            "test",
            "chevereto-redirect",
            "--response",
            str(empty),
            "--status",
            "302",
            "--header",
            "Location: /images/abc",
            "--url",
            "https://img.example/api/1/upload",
        ],
        clean_env,
    )
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert moved.stdout.splitlines()[-1].endswith("succeeds with https://img.example/images/abc")
    # (No sandbox runs in this test: provider test sends nothing.)
    # --request: the request it would send for an image, secrets hidden.
    shown = pixup(["provider", "test", "pichost-json", "--request", str(PNG)], clean_env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "POST https://api.pichost.example/3/image"
    assert f"file image=@{PNG} (image/png, binary)" in shown.stdout
    assert "x-token-123456" not in shown.stdout + shown.stderr
    neither = pixup(["provider", "test", "pichost-json"], clean_env)
    assert neither.returncode == 2 and "--response FILE" in neither.stderr


def test_a_provider_file_may_name_the_hosts_success_flag(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "flagged.toml"
    path.write_text(
        'format = 1\ntitle = "Flagged"\n[request]\nurl = "https://flagged.example/up"\n'
        'body = "multipart"\nfile_field = "file"\n[response]\nurl = "{json:data.link}"\n'
        'error = "{json:data.error}"\nsuccess = "{json:success}"\n'
    )
    assert pixup(["provider", "add", str(path)], clean_env).returncode == 0
    failed = tmp_path / "failed.json"
    # A URL is there, but the host says the upload failed: a failure, in its words.
    failed.write_text(
        '{"success": false, "data": {"link": "https://x.example/a", "error": "Quota"}}'
    )
    result = pixup(["provider", "test", "flagged", "--response", str(failed)], clean_env)
    assert result.returncode == 6, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "an upload given this answer: fails, exit 6: flagged: Quota (HTTP 200)"
    )
    ok = tmp_path / "ok.json"
    ok.write_text('{"success": true, "data": {"link": "https://x.example/a"}}')
    fine = pixup(["provider", "test", "flagged", "--response", str(ok)], clean_env)
    assert fine.returncode == 0, fine.stdout
    # It survives export and import.
    exported = pixup(["provider", "export", "flagged"], clean_env).stdout
    assert 'success = "{json:success}"' in exported
