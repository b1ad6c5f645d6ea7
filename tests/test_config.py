"""The config file and the settings resolved from flags, environment and config."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import installed_pixup

from pixup import config as cfgmod
from pixup import keys
from pixup.errors import ConfigError, UsageError
from pixup.oauth_echo import DEFAULT_VERIFY_URL
from pixup.providers.twitter_account import VERIFY_KEY
from pixup.settings import Flags, resolve


def _set(path: Path, key: str, value: str) -> None:
    parsed = keys.validate(key, value)
    cfgmod.update(path, lambda cfg: cfg.set(key, parsed))


def test_set_get_unset_round_trip_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    _set(path, "service", "IMGLY")
    _set(path, "imgly.url", "http://127.0.0.1:8080/")
    _set(path, "imgly.api", "1")
    _set(path, "timeout", "7.5")
    cfg = cfgmod.load(path)
    assert cfg.data == {
        "service": "imgly",
        "timeout": 7.5,
        "imgly": {"url": "http://127.0.0.1:8080", "api": 1},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(cfg.items(keys.key_specs())) == [
        ("service", "imgly"),
        ("timeout", 7.5),
        ("imgly.url", "http://127.0.0.1:8080"),
        ("imgly.api", 1),
    ]
    cfgmod.update(path, lambda c: c.unset("imgly.url"))
    cfgmod.update(path, lambda c: c.unset("imgly.api"))
    # An emptied table is dropped, not left as a stub.
    assert cfgmod.load(path).data == {"service": "imgly", "timeout": 7.5}
    # No temporary file is left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml", "config.toml.lock"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("colour", "red", "unknown config key 'colour'; valid keys: service, timeout"),
        ("service", "flickr", "'flickr' is not one of: twitrpix, imgly"),
        ("imgly.api", "3", "'3' is not one of: 2, 1"),
        ("twitrpix.format", "yaml", "'yaml' is not one of: json, xml"),
        ("imgly.url", "ftp://x", "not an http:// or https:// URL"),
        ("imgly.url", "http://user:pw@host", "must not carry a user name or password"),
        ("timeout", "-1", "more than 0"),
        ("timeout", "soon", "not a number"),
    ],
)
def test_bad_keys_and_values_name_the_choices(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        keys.validate(key, value)
    assert message in info.value.message


def test_malformed_file_names_file_and_line_and_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = 'service = "imgly"\n[imgly\nurl = "x"\n'
    path.write_text(original)
    with pytest.raises(ConfigError) as info:
        cfgmod.load(path)
    assert str(path) in info.value.message
    assert "line 2" in info.value.message
    with pytest.raises(ConfigError):
        cfgmod.update(path, lambda c: c.set("service", "twitrpix"))
    assert path.read_text() == original


def test_bad_value_in_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[imgly]\napi = 9\n")
    with pytest.raises(ConfigError, match=r"config.toml: bad value for imgly.api"):
        resolve(Flags(service="imgly"), {}, cfgmod.load(path))


def test_precedence_flag_over_env_over_config_over_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    _set(path, "service", "imgly")
    _set(path, "imgly.url", "http://from-config")
    _set(path, "imgly.format", "xml")
    cfg = cfgmod.load(path)

    s = resolve(Flags(), {}, cfg)
    assert (s.service, s.target.base_url, s.target.format, s.target.api) == (
        "imgly",
        "http://from-config",
        "xml",
        2,
    )
    assert s.sources["imgly.url"] == "config" and s.sources["imgly.api"] == "default"
    assert s.target.options[VERIFY_KEY] == DEFAULT_VERIFY_URL

    env = {"PIXUP_IMGLY_URL": "http://from-env", "PIXUP_IMGLY_API": "1"}
    s = resolve(Flags(), env, cfg)
    assert (s.target.base_url, s.target.api) == ("http://from-env", 1)
    assert s.sources["imgly.url"] == "env"

    s = resolve(Flags(endpoint="http://from-flag", api=2, format="json"), env, cfg)
    assert (s.target.base_url, s.target.api, s.target.format) == ("http://from-flag", 2, "json")
    assert s.sources["imgly.url"] == "flag"

    s = resolve(Flags(), {"PIXUP_SERVICE": "twitrpix"}, cfg)
    assert (s.service, s.target.base_url, s.target.api) == (
        "twitrpix",
        "http://api.twitrpix.com",
        1,
    )


def test_bad_flag_is_usage_bad_env_is_config() -> None:
    empty = cfgmod.ConfigFile(Path("/nonexistent/config.toml"), {})
    with pytest.raises(UsageError, match="bad value for --service"):
        resolve(Flags(service="nope"), {}, empty)
    with pytest.raises(ConfigError, match="bad value in PIXUP_TWITRPIX_API"):
        resolve(Flags(), {"PIXUP_TWITRPIX_API": "7"}, empty)


def test_concurrent_config_set_processes_keep_every_key(tmp_path: Path) -> None:
    env = {**os.environ, "PIXUP_CONFIG_DIR": str(tmp_path)}
    pairs = [
        ("service", "imgly"),
        ("timeout", "12"),
        ("imgly.url", "http://a.example"),
        ("imgly.api", "1"),
        ("imgly.format", "xml"),
        ("twitrpix.url", "http://b.example"),
        ("twitrpix.api", "2"),
        ("twitrpix.format", "xml"),
    ]
    procs = [
        subprocess.Popen([installed_pixup(), "config", "set", k, v], env=env) for k, v in pairs
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * len(pairs)
    cfg = cfgmod.load(tmp_path / "config.toml")
    assert {k: str(v) for k, v in cfg.items(keys.key_specs())} == {
        "service": "imgly",
        "timeout": "12.0",
        "imgly.url": "http://a.example",
        "imgly.api": "1",
        "imgly.format": "xml",
        "twitrpix.url": "http://b.example",
        "twitrpix.api": "2",
        "twitrpix.format": "xml",
    }


def test_config_set_writes_through_a_symlinked_file(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "pixup.toml"
    target.write_text('service = "imgly"\n')
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").symlink_to(target)
    env = {**os.environ, "PIXUP_CONFIG_DIR": str(config_dir)}
    for args in (["set", "timeout", "9"], ["unset", "service"]):
        result = subprocess.run(
            [installed_pixup(), "config", *args], env=env, capture_output=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
    assert (config_dir / "config.toml").is_symlink()
    assert cfgmod.load(target).data == {"timeout": 9.0}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # No temporary file left in either directory.
    assert [p.name for p in dotfiles.iterdir()] == ["pixup.toml"]
    assert sorted(p.name for p in config_dir.iterdir()) == ["config.toml", "config.toml.lock"]
