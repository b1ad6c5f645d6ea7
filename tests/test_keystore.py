"""The keyring store with real keyring backends: timeouts, locked and missing keyrings,
and the rule that credentials from the environment never wait on the keyring."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from pixup_test_keyring import FileKeyring, HangingKeyring, LockedKeyring, OddKeyring

from pixup import config as cfgmod
from pixup import credentials
from pixup.errors import AuthError, ConfigError
from pixup.keystore import KeyringUnavailable, KeyStore
from pixup.providers.imgly import PASSWORD
from pixup.providers.twitrpix import API_KEY
from pixup.providers.twitter_account import CONSUMER_KEY, OAUTH, TOKEN


@pytest.fixture
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    monkeypatch.setenv("PIXUP_TEST_KEYRING_FILE", str(tmp_path / "k.json"))
    previous = keyring.get_keyring()
    chosen = request.param()
    keyring.set_keyring(chosen)
    yield chosen
    keyring.set_keyring(previous)


@pytest.mark.parametrize("backend", [FileKeyring], indirect=True)
def test_store_read_delete_round_trip(backend: object) -> None:
    store = KeyStore({})
    assert store.get("oauth.token") is None
    store.set("oauth.token", "tok-123")
    assert store.get("oauth.token") == "tok-123"
    assert keyring.get_password("pixup", "oauth.token") == "tok-123"
    assert store.delete("oauth.token") is True
    assert store.delete("oauth.token") is False
    assert store.get("oauth.token") is None


@pytest.mark.parametrize("backend", [HangingKeyring], indirect=True)
def test_a_hanging_keyring_is_given_up_after_the_timeout_once(backend: object) -> None:
    store = KeyStore({"PIXUP_KEYRING_TIMEOUT": "0.5"})
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable, match=r"did not answer within 0\.5s"):
        store.get("oauth.token")
    with pytest.raises(KeyringUnavailable):
        store.get("oauth.token_secret")  # not another wait
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("backend", "text"),
    [
        (LockedKeyring, "the system keyring is locked"),
        (fail.Keyring, "no system keyring is available"),
    ],
    indirect=["backend"],
)
def test_locked_and_missing_keyrings_name_the_alternatives(backend: object, text: str) -> None:
    with pytest.raises(KeyringUnavailable) as info:
        KeyStore({}).get("oauth.token")
    assert text in info.value.message
    assert "PYTHON_KEYRING_BACKEND" in info.value.message
    assert "--no-keyring" in info.value.message


@pytest.mark.parametrize("backend", [HangingKeyring], indirect=True)
def test_credentials_from_the_environment_never_wait_on_the_keyring(backend: object) -> None:
    env = {
        "PIXUP_OAUTH_CONSUMER_KEY": "ck",
        "PIXUP_OAUTH_CONSUMER_SECRET": "cs",
        "PIXUP_OAUTH_TOKEN": "t",
        "PIXUP_OAUTH_TOKEN_SECRET": "ts",
        "PIXUP_KEYRING_TIMEOUT": "30",
    }
    started = time.monotonic()
    creds = credentials.resolve(
        OAUTH,
        "imgly API 2",
        env,
        cfgmod.ConfigFile(Path("/nonexistent"), {}),
        KeyStore(env),
    )
    assert time.monotonic() - started < 1.0
    assert (creds["consumer_key"], creds["token_secret"]) == ("ck", "ts")


@pytest.mark.parametrize("backend", [HangingKeyring], indirect=True)
def test_no_keyring_skips_it_and_a_missing_value_says_so(backend: object) -> None:
    env = {"PIXUP_NO_KEYRING": "1"}
    started = time.monotonic()
    with pytest.raises(AuthError) as info:
        credentials.resolve(
            (PASSWORD,), "imgly API 1", env, cfgmod.ConfigFile(Path("/x"), {}), KeyStore(env)
        )
    assert time.monotonic() - started < 1.0
    assert "PIXUP_PASSWORD" in info.value.message


@pytest.mark.parametrize("backend", [LockedKeyring], indirect=True)
def test_a_missing_credential_explains_the_keyring_failure(backend: object) -> None:
    with pytest.raises(AuthError) as info:
        credentials.resolve(
            (API_KEY,), "twitrpix API 1", {}, cfgmod.ConfigFile(Path("/x"), {}), KeyStore({})
        )
    message = info.value.message
    assert "missing credentials for twitrpix API 1: TwitrPix API key" in message
    assert "pixup config login --service twitrpix" in message
    assert "the keyring could not be read: the system keyring is locked" in message


@pytest.mark.parametrize("backend", [FileKeyring], indirect=True)
def test_resolution_order_env_then_keyring_or_config(backend: object) -> None:
    keyring.set_password("pixup", "oauth.token", "from-keyring")
    config = cfgmod.ConfigFile(Path("/x"), {"oauth": {"consumer_key": "ck-from-config"}})
    found = credentials.lookup((TOKEN, CONSUMER_KEY), {}, config, KeyStore({}))
    assert found.sources == {"token": "keyring", "consumer_key": "config"}
    found = credentials.lookup(
        (TOKEN, CONSUMER_KEY),
        {"PIXUP_OAUTH_TOKEN": "from-env", "PIXUP_OAUTH_CONSUMER_KEY": "ck-env"},
        config,
        KeyStore({}),
    )
    assert found.credentials["token"] == "from-env"
    assert found.sources == {"token": "env", "consumer_key": "env"}


@pytest.mark.parametrize("answer", ["0", "1", "2"])
@pytest.mark.parametrize("backend", [OddKeyring], indirect=True)
def test_a_backend_answering_with_something_other_than_text(
    backend: object, answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIXUP_TEST_ODD_ANSWER", answer)
    with pytest.raises(KeyringUnavailable) as info:
        KeyStore({}).get("oauth.token")
    kind = type(OddKeyring.answers[int(answer)]).__name__
    assert f"the backend answered with {kind}, not text" in info.value.message
    assert "bytes-not-text" not in info.value.message


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "-1", "0", "soon"])
def test_a_bad_keyring_timeout_is_a_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match="bad value for PIXUP_KEYRING_TIMEOUT"):
        KeyStore({"PIXUP_KEYRING_TIMEOUT": value})
    assert KeyStore({"PIXUP_KEYRING_TIMEOUT": "2.5"}).timeout == 2.5


def test_backends_are_named_as_people_know_them() -> None:
    from pixup.keystore import backend_title

    assert backend_title("keyring.backends.macOS.Keyring") == "macOS Keychain"
    assert backend_title("keyring.backends.SecretService.Keyring").startswith("Secret Service")
    assert backend_title("pixup_test_keyring.FileKeyring") == "pixup_test_keyring.FileKeyring"
