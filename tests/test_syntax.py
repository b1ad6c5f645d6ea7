"""The ShareX template syntax, as pure functions: parsing, each function, the old
`$...$` syntax, and the body data replacement."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixup.models import RawResponse
from pixup.providers import syntax

JSON_ANSWER = (
    b'{"data": {"link": "https://i.example/a.png", "files": [{"url": "u0"}, {"url": "u1"}],'
    b' "n": 7, "ok": true, "none": null, "odd key": "x"}}'
)
XML_ANSWER = b'<rsp stat="ok"><image id="42"><url>https://i.example/b.png</url><t>x<b>y</b></t></image></rsp>'


def render(text: str, body: bytes = b"", **ctx: object) -> str:
    response = RawResponse(
        200, {"x-delete-url": "https://i.example/del/1"}, body, url="https://up.example/"
    )
    return syntax.render(syntax.parse(text), syntax.Context(response=response, **ctx))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{json:data.link}", "https://i.example/a.png"),
        ("{json:$.data.files[1].url}", "u1"),
        ("{json:data['odd key']}", "x"),
        ("{json:data.n}/{json:data.ok}/{json:data.none}", "7/true/"),
        ("{json:data.missing}", ""),
        ("{json:data.files[9].url}", ""),
        ("{json:{response}|data.files[0].url}", "u0"),
        ("{header:X-Delete-Url}", "https://i.example/del/1"),
        ("{responseurl}", "https://up.example/"),
        (r"{regex:\"link\": \"(?<u>[^\"]+)\"|u}", "https://i.example/a.png"),
        (r"{regex:files.\{6\}(\\w+)|1}", "url"),
        ("{regex:nothing-like-this}", ""),
    ],
)
def test_json_header_and_regex_functions(template: str, expected: str) -> None:
    assert render(template, JSON_ANSWER) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{xml:/rsp/image/url}", "https://i.example/b.png"),
        ("{xml://url/text()}", "https://i.example/b.png"),
        ("{xml:/rsp/image/@id}", "42"),
        ("{xml:/rsp/@stat}", "ok"),
        ("{xml:/rsp/image/t}", "xy"),
        ("{xml:/rsp/nothing}", ""),
    ],
)
def test_xml_paths(template: str, expected: str) -> None:
    assert render(template, XML_ANSWER) == expected


# A host that answers in a namespace, as many do: ShareX files reach past it with
# local-name(), and pick among several nodes with predicates.
NAMESPACED = (
    b'<?xml version="1.0"?><upload xmlns="urn:example:img" xmlns:m="urn:example:meta">'
    b'<image id="1" kind="thumb"><image_link>https://i.example/1t.png</image_link></image>'
    b'<image id="2" kind="full"><image_link>https://i.example/2.png</image_link>'
    b"<m:del>https://i.example/d/2</m:del></image></upload>"
)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{xml://*[local-name()='image_link']}", "https://i.example/1t.png"),
        (
            "{xml://*[local-name()='image'][@kind='full']/*[local-name()='image_link']}",
            "https://i.example/2.png",
        ),
        ("{xml:(//*[local-name()='image'])[2]/@id}", "2"),
        (
            "{xml://*[local-name()='image_link'][contains(text(), '2.png')]/text()}",
            "https://i.example/2.png",
        ),
        (
            "{xml://*[local-name()='del' and namespace-uri()='urn:example:meta']}",
            "https://i.example/d/2",
        ),
        ("{xml:count(//*[local-name()='image'])}", "2"),
        ("{xml:/upload/image}", ""),  # a name without its namespace matches nothing, as in XPath
    ],
)
def test_xpath_1_0_as_sharex_evaluates_it(template: str, expected: str) -> None:
    assert render(template, NAMESPACED) == expected


def test_xml_refuses_a_dtd_and_non_xml() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'
    with pytest.raises(syntax.TemplateError, match="not XML"):
        render("{xml:/r}", bomb)
    with pytest.raises(syntax.TemplateError, match="not XML"):
        render("{xml:/r}", b"{}")
    with pytest.raises(syntax.TemplateError, match="not JSON"):
        render("{json:a}", XML_ANSWER)


def test_request_side_functions() -> None:
    assert render("Basic {base64:user:pa|ss}") == "Basic " + base64.b64encode(b"user:pa").decode()
    assert render("{random:a|b|c}") in {"a", "b", "c"}
    assert render("/{filename}", filename="a b&c.png") == "/a b&c.png"
    url = syntax.render(
        syntax.parse("/{filename}"), syntax.Context(filename="a b&c.png", url_encode=True)
    )
    assert url == "/a%20b%26c.png"
    assert render("{secret:token}", secrets={"token": "t-1"}) == "t-1"
    assert render("{input}", input=lambda: "QUJD") == "QUJD"
    assert render(r"a\{b\}\|c\\") == "a{b}|c\\"


def test_prompts_need_someone_to_ask() -> None:
    assert render("{prompt:Album|holiday}") == "holiday"  # no terminal: the default
    with pytest.raises(syntax.TemplateError, match="no terminal"):
        render("{prompt:Album}")
    with pytest.raises(syntax.TemplateError, match="no terminal"):
        render("{select:public|private}")
    asked: list[tuple[str, str, list[str] | None]] = []

    def ask(title: str, default: str, choices: list[str] | None) -> str:
        asked.append((title, default, choices))
        return "private"

    assert render("{select:public|private}", ask=ask) == "private"
    assert asked == [("Choose one", "public", ["public", "private"])]


def test_old_dollar_syntax_migrates_like_sharex() -> None:
    assert syntax.migrate_dollar("$json:data.link$") == "{json:data.link}"
    assert syntax.migrate_dollar("https://x/$filename$?a={b}") == "https://x/{filename}?a=\\{b\\}"
    # ShareX's migration drops a backslash and the character after it; so does pixup.
    assert syntax.migrate_dollar("a\\$b") == "ab"
    regex_list = ('"link": "([^"]+)"',)
    template = syntax.parse(syntax.migrate_dollar("$regex:1|1$"))
    ctx = syntax.Context(response=RawResponse(200, {}, JSON_ANSWER), regex_list=regex_list)
    assert syntax.render(template, ctx) == "https://i.example/a.png"
    old_style = syntax.parse(syntax.migrate_dollar("$1,1$"))
    assert syntax.render(old_style, ctx) == "https://i.example/a.png"


def test_body_data_replaces_only_input_and_filename_encoded_for_the_format() -> None:
    data = '{"image": "{input}", "name": "{FileName}", "keep": "{json:x}"}'
    out = syntax.fill_data(data, "json", 'a"b.png', lambda: "QUJD")
    assert out == '{"image": "QUJD", "name": "a\\"b.png", "keep": "{json:x}"}'
    xml = syntax.fill_data("<n>{filename}</n>", "xml", "a<b>&.png", lambda: "")
    assert xml == "<n>a&lt;b&gt;&amp;.png</n>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a|b", "unescaped '|' at position 2"),
        ("x}", "unescaped '}' at position 2"),
        ("{json:a", "never closed"),
        ("{{json:a}:b}", "cannot contain another function"),
    ],
)
def test_parse_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(syntax.TemplateError, match=message):
        syntax.parse(text, "URL")


FRAGMENTS = [
    "{",
    "}",
    "|",
    ":",
    "\\",
    "$",
    "a",
    ".",
    "[0]",
    "(",
    ")",
    "x",
    "{json:",
    "{xml:",
    "{regex:",
    "{header:",
    "{response}",
    "{random:",
    "{base64:",
    "{filename}",
    "{prompt:",
    "{1}",
    "{2,1}",
    "data.link",
    "/rsp/url",
    "@id",
    "(?<n>a)|n",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
    st.one_of(st.binary(max_size=80), st.sampled_from([JSON_ANSWER, XML_ANSWER, b"a"])),
)
def test_any_template_and_answer_fail_only_with_a_template_error(text: str, body: bytes) -> None:
    try:
        template = syntax.parse(text)
        syntax.check(template, "URL", response=True, regex_list=1)
        ctx = syntax.Context(response=RawResponse(200, {}, body), regex_list=("a",))
        syntax.render(template, ctx)
    except syntax.TemplateError:
        pass


def test_sharex_name_codes_expand_longest_first() -> None:
    import datetime

    t = datetime.datetime(2026, 3, 4, 15, 6, 7, 89000)
    out = syntax.expand_codes("%y-%mo-%d %h:%mi:%s.%ms %mon %mon2 %yy %pm %unix", t)
    assert out == f"2026-03-04 15:06:07.089 March Mar 26 PM {int(t.timestamp())}"
    assert len(syntax.expand_codes("%ra{12}")) == 12 and syntax.expand_codes("%rn{5}").isdigit()
    # Not codes, or not ones pixup can fill: left exactly as written.
    assert syntax.expand_codes("%20 %height %width 100%") == "%20 %height %width 100%"
    assert syntax.unsupported_codes("%pn %t %y %width") == ["%pn", "%t", "%width"]
    # Only the text around calls is expanded, never a value a call produced.
    ctx = syntax.Context(secrets={"k": "%y"}, name_codes=True)
    year = str(datetime.datetime.now().year)
    assert syntax.render(syntax.parse("%y/{secret:k}"), ctx) in (
        f"{year}/%y",
        f"{int(year) + 1}/%y",
    )
