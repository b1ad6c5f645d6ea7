"""Everything pixup parses bounds its nesting: a document nested deeper than a parser can
take is one clear error of the right kind, never a RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixup import config as cfgmod
from pixup.errors import ConfigError, ServerError
from pixup.models import RawResponse
from pixup.providers import decode, syntax
from pixup.providers.custom import load_file
from pixup.providers.sxcu import convert

DEEP_JSON = "[" * 300_000 + "]" * 300_000
DEEP_XML = "<a>" * 60_000 + "</a>" * 60_000
DEEP_TOML = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"


@pytest.mark.parametrize(
    ("body", "ctype", "fmt"),
    [(DEEP_JSON, "application/json", "JSON"), (DEEP_XML, "application/xml", "XML")],
)
def test_a_service_answer(body: str, ctype: str, fmt: str) -> None:
    resp = RawResponse(200, {"content-type": ctype}, body.encode())
    with pytest.raises(ServerError, match=f"{fmt} nested too deeply"):
        decode.load(resp, "json")


def test_a_custom_providers_answer_read_by_its_templates() -> None:
    with pytest.raises(syntax.TemplateError, match="JSON nested too deeply"):
        syntax.json_path(DEEP_JSON, "a")
    # ElementTree walks a deep tree without recursing: it answers (the text is empty).
    assert syntax.xml_path(DEEP_XML, "//a") == ""


def test_the_config_file_and_provider_files(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(DEEP_TOML)
    with pytest.raises(ConfigError, match="nested too deeply"):
        cfgmod.load(path)
    provider = tmp_path / "deep.toml"
    provider.write_text(DEEP_TOML)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_file(provider)
    with pytest.raises(ConfigError, match="nested too deeply"):
        convert(DEEP_JSON.encode(), "deep.sxcu")
