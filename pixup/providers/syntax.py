"""ShareX's custom-uploader syntax: ``{function:argument|argument}`` templates.

A template is parsed once, when a provider is loaded, so a misspelt or unsupported
function is reported by name at import time rather than in the middle of an upload; it is
evaluated later against a :class:`Context` (the file name, the answer, the secrets). The
grammar is ShareX 14's: ``{`` opens a call, ``:`` starts its arguments, ``|`` separates
them, ``}`` closes it, ``\\`` escapes the next character, and calls nest
(``{regex:{response}|id=(\\w+)|1}``). Files written before ShareX 13.7.1 used ``$name:arg$``;
:func:`migrate_dollar` turns that into the new form exactly as ShareX does.

Evaluation performs no I/O of its own: XML goes through defusedxml, and prompts go through
the ``ask`` function the caller provides (or fail when there is nobody to ask).
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import quote

if TYPE_CHECKING:
    from pixup.models import RawResponse


class TemplateError(ValueError):
    """A template that cannot be parsed or evaluated; the message names what and where."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Template, ...]


Node = Union[str, Call]  # noqa: UP007 - a runtime alias, not an annotation
Template = tuple[Node, ...]

# Functions that read the answer: meaningless while the request is being built.
RESPONSE_FUNCTIONS = frozenset({"response", "responseurl", "header", "json", "xml", "regex"})
# Functions that ask the person at the terminal.
ASKING_FUNCTIONS = frozenset({"prompt", "inputbox", "select"})
REQUEST_FUNCTIONS = (
    frozenset({"filename", "random", "base64", "input", "secret"}) | ASKING_FUNCTIONS
)
KNOWN_FUNCTIONS = RESPONSE_FUNCTIONS | REQUEST_FUNCTIONS
# ShareX functions pixup knows of but cannot honour from a terminal program.
UNSUPPORTED = {
    "outputbox": "it opens a window showing a value after the upload",
    "output": "it names ShareX's own output variables",
}


def parse(text: str, where: str = "template") -> Template:
    nodes, end = _sequence(text, 0, "|}", where)
    if end < len(text):
        # ShareX silently drops the rest of the text here; say so instead.
        raise TemplateError(
            f"{where}: unescaped {text[end]!r} at position {end + 1} "
            f"(write \\{text[end]} for the character itself)"
        )
    return tuple(nodes)


def _sequence(text: str, i: int, stop: str, where: str) -> tuple[list[Node], int]:
    """Text and nested calls from ``i`` up to an unescaped character of ``stop``."""
    out: list[Node] = []
    buf: list[str] = []
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 < len(text):
                buf.append(text[i + 1])
            i += 2
            continue
        if c == "{":
            if buf:
                out.append("".join(buf))
                buf = []
            call, i = _call(text, i + 1, where)
            out.append(call)
            continue
        if c in stop:
            break
        buf.append(c)
        i += 1
    if buf:
        out.append("".join(buf))
    return out, i


def _call(text: str, i: int, where: str) -> tuple[Call, int]:
    start = i - 1
    name_nodes, i = _sequence(text, i, ":|}", where)
    if any(isinstance(n, Call) for n in name_nodes):
        raise TemplateError(f"{where}: a function name cannot contain another function")
    name = "".join(str(n) for n in name_nodes).strip().lower()
    args: list[Template] = []
    while i < len(text) and text[i] in ":|":
        arg, i = _sequence(text, i + 1, "|}", where)
        args.append(tuple(arg))
    if i >= len(text):
        raise TemplateError(f"{where}: '{{' at position {start + 1} is never closed")
    return Call(name, tuple(args)), i + 1


def calls(template: Template) -> list[Call]:
    """Every call in ``template``, nested ones included."""
    found: list[Call] = []
    for node in template:
        if isinstance(node, Call):
            found.append(node)
            for arg in node.args:
                found.extend(calls(arg))
    return found


_MINIMUM_ARGS = {"json": 1, "xml": 1, "regex": 1, "header": 1, "random": 2, "select": 1}


def check(template: Template, where: str, *, response: bool, regex_list: int = 0) -> None:
    """Raise for a function that is unknown, unsupported, or out of place in ``where``."""
    for call in calls(template):
        # $1$ or $1,2$ in an old file: an entry of RegexList (and a group)
        if call.name.isdigit() or re.fullmatch(r"\d+,\d+", call.name):
            _check_regex_entry(call, where, response, regex_list)
            continue
        _check_known(call, where, response)
        minimum = _MINIMUM_ARGS.get(call.name, 0)
        if len(call.args) < minimum:
            raise TemplateError(f"{where}: {{{call.name}}} needs at least {minimum} argument(s)")
        if call.name == "xml" and call.args and not any(isinstance(n, Call) for n in call.args[-1]):
            _xpath("".join(str(n) for n in call.args[-1]))  # fails early on bad XPath


def _check_known(call: Call, where: str, response: bool) -> None:
    name = call.name
    if name in UNSUPPORTED:
        raise TemplateError(f"{where}: {{{name}}} is not supported: {UNSUPPORTED[name]}")
    if name not in KNOWN_FUNCTIONS:
        raise TemplateError(f"{where}: unknown function {{{name}}}")
    if name in RESPONSE_FUNCTIONS and not response:
        raise TemplateError(
            f"{where}: {{{name}}} reads the answer, which does not exist yet when the "
            "request is built"
        )


def _check_regex_entry(call: Call, where: str, response: bool, regex_list: int) -> None:
    _check_known(Call("regex", call.args), where, response)
    index = int(call.name.split(",")[0])
    if not 1 <= index <= regex_list:
        raise TemplateError(f"{where}: ${call.name}$ names no entry of RegexList")


def uses(template: Template, name: str) -> bool:
    return any(c.name == name for c in calls(template))


def secret_names(template: Template) -> list[str]:
    """The names of the ``{secret:NAME}`` calls (pixup's own function)."""
    return ["".join(str(n) for n in c.args[0]) for c in calls(template) if c.name == "secret"]


Ask = Callable[[str, str, list[str] | None], str | None]


@dataclass
class Context:
    filename: str = ""
    input: Callable[[], str] | None = None
    response: RawResponse | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    ask: Ask | None = None
    regex_list: tuple[str, ...] = ()
    # ShareX URL-encodes the file name and the input where they land in the request URL.
    url_encode: bool = False
    # ShareX's %y, %mo, ... codes: expanded in the text of Parameters, Headers, Arguments.
    name_codes: bool = False

    def text(self) -> str:
        if self.response is None:
            return ""
        return self.response.body.decode("utf-8", errors="replace")


def render(template: Template, ctx: Context) -> str:
    def text(node: str) -> str:
        return expand_codes(node) if ctx.name_codes else node

    return "".join(text(n) if isinstance(n, str) else _call_value(n, ctx) for n in template)


def _call_value(call: Call, ctx: Context) -> str:
    args = [render(a, ctx) for a in call.args]
    if call.name[:1].isdigit():  # $1$ or $1,2$ in an old file: RegexList entry, group
        return _regex_entry(call.name, ctx)
    function = _FUNCTIONS.get(call.name)
    if function is None:
        raise TemplateError(f"unknown function {{{call.name}}}")
    return function(args, ctx)


def _regex_entry(name: str, ctx: Context) -> str:
    index, _, group = name.partition(",")
    if not 1 <= int(index) <= len(ctx.regex_list):
        raise TemplateError(f"${name}$ names no entry of RegexList")
    return _regex(ctx.text(), ctx.regex_list[int(index) - 1], group)


def _source_and_path(args: list[str], ctx: Context) -> tuple[str, str]:
    """``{json:path}`` reads the answer; ``{json:text|path}`` reads ``text``."""
    return (args[0], args[1]) if len(args) > 1 else (ctx.text(), args[0])


def _fn_header(args: list[str], ctx: Context) -> str:
    headers = ctx.response.headers if ctx.response is not None else {}
    return headers.get(args[0].lower(), "")


def _fn_regex(args: list[str], ctx: Context) -> str:
    if len(args) > 2:
        return _regex(args[0], args[1], args[2])
    if args[0].isdigit() and 1 <= int(args[0]) <= len(ctx.regex_list):
        pattern = ctx.regex_list[int(args[0]) - 1]  # an old file's RegexList entry
    else:
        pattern = args[0]
    return _regex(ctx.text(), pattern, args[1] if len(args) > 1 else "")


def _encoded(value: str, ctx: Context) -> str:
    return quote(value, safe="") if ctx.url_encode else value


def _fn_prompt(args: list[str], ctx: Context) -> str:
    title = args[0] if args else "Value"
    default = args[1] if len(args) > 1 else ""
    return _ask(ctx, title, default, None)


def _first(args: list[str]) -> str:
    return args[0] if args else ""


_FUNCTIONS: dict[str, Callable[[list[str], Context], str]] = {
    "response": lambda args, ctx: ctx.text(),
    "responseurl": lambda args, ctx: ctx.response.url if ctx.response is not None else "",
    "header": _fn_header,
    "json": lambda args, ctx: json_path(*_source_and_path(args, ctx)),
    "xml": lambda args, ctx: xml_path(*_source_and_path(args, ctx)),
    "regex": _fn_regex,
    "filename": lambda args, ctx: _encoded(ctx.filename, ctx),
    "input": lambda args, ctx: _encoded(ctx.input() if ctx.input is not None else "", ctx),
    "random": lambda args, ctx: random.choice(args) if args else "",
    "base64": lambda args, ctx: base64.b64encode(_first(args).encode()).decode("ascii"),
    "secret": lambda args, ctx: ctx.secrets.get(_first(args), ""),
    "prompt": _fn_prompt,
    "inputbox": _fn_prompt,
    "select": lambda args, ctx: _ask(ctx, "Choose one", args[0], args),
}


def _ask(ctx: Context, title: str, default: str, choices: list[str] | None) -> str:
    answer = ctx.ask(title, default, choices) if ctx.ask is not None else None
    if answer is None:
        if default and choices is None:
            return default
        what = f"to choose one of {', '.join(choices)}" if choices else f"for {title!r}"
        raise TemplateError(f"the provider asks {what}, and there is no terminal to answer at")
    return answer


# --- the answer's syntaxes ------------------------------------------------------------

_JSON_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]|\[['\"]([^'\"]*)['\"]\]")


def json_path(source: str, path: str) -> str:
    """``data.link``, ``files[0].url``, ``$.data['key']``: the subset of JSONPath that
    custom uploaders use (child names and indexes)."""
    try:
        node: Any = json.loads(source)
    except ValueError:
        raise TemplateError("the answer is not JSON") from None
    except RecursionError:
        raise TemplateError("the answer is JSON nested too deeply") from None
    rest = path.strip()
    rest = rest[1:] if rest.startswith("$") else rest
    pos = 0
    while pos < len(rest):
        match = _JSON_STEP.match(rest, pos)
        if match is None or match.end() == pos:
            raise TemplateError(f"cannot read the JSON path {path!r}")
        pos = match.end()
        node = _json_step(node, *match.groups())
        if node is _MISSING:
            return ""
    return _json_text(node)


_MISSING = object()


def _json_step(node: Any, name: str | None, index: str | None, quoted: str | None) -> Any:
    """The child a step names, or _MISSING."""
    if index is not None:
        ok = isinstance(node, list) and int(index) < len(node)
        return node[int(index)] if ok else _MISSING
    key = name if name is not None else quoted
    return node[key] if isinstance(node, dict) and key in node else _MISSING


def _json_text(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, str):
        return node
    return json.dumps(node) if isinstance(node, dict | list) else str(node)


def _xpath(path: str) -> Any:
    """``path`` parsed as XPath 1.0 (elementpath's parser, as ShareX evaluates full XPath
    1.0: predicates, ``local-name()`` past a namespace, ``contains()``, ``text()``, ``@a``);
    raises :class:`TemplateError` naming what is wrong."""
    from elementpath import ElementPathError, XPath1Parser

    try:
        return XPath1Parser().parse(path.strip())
    except ElementPathError as exc:
        raise TemplateError(f"XPath {path!r} is not valid XPath 1.0 ({exc})") from None


def xml_path(source: str, path: str) -> str:
    """The text of the first node ``path`` selects in the answer (parsed by defusedxml:
    no DTD, no entities), or the value of an expression (``count(...)``, ``string(...)``)."""
    from xml.etree import ElementTree as ET

    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException
    from elementpath import ElementPathError

    _xpath(path)
    try:
        root = SafeET.fromstring(source.encode("utf-8"), forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException):
        raise TemplateError("the answer is not XML (or declares a DTD)") from None
    except RecursionError:
        raise TemplateError("the answer is XML nested too deeply") from None
    try:
        from elementpath import XPath1Parser, select

        result = select(ET.ElementTree(root), path.strip(), parser=XPath1Parser)
    except RecursionError:
        raise TemplateError("the answer is XML nested too deeply") from None
    except ElementPathError as exc:
        raise TemplateError(f"XPath {path!r} cannot be evaluated on the answer ({exc})") from None
    return _xpath_text(result)


def _xpath_text(result: Any) -> str:
    if isinstance(result, list):
        return _xpath_text(result[0]) if result else ""
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, float) and result.is_integer():
        return str(int(result))
    if hasattr(result, "itertext"):  # an element: its text, as ShareX takes it
        return "".join(result.itertext())
    value = getattr(result, "value", result)  # an attribute or text node
    return "" if value is None else str(value)


# A user's pattern may backtrack for ever on a server's answer ("(a+)+$"): the ``regex``
# package (re's syntax, plus a timeout) gives up on it after this long.
REGEX_SECONDS = 1.0


def _regex(source: str, pattern: str, group: str) -> str:
    import regex

    # .NET spells named groups (?<name>...) and back-references \k<name>.
    py = re.sub(r"\(\?<(?![=!])(\w+)>", r"(?P<\1>", pattern)
    py = re.sub(r"\\k<(\w+)>", r"(?P=\1)", py)
    try:
        match = regex.search(py, source, timeout=REGEX_SECONDS)
    except regex.error as exc:
        raise TemplateError(f"bad regular expression {pattern!r}: {exc}") from None
    except TimeoutError:
        raise TemplateError(
            f"regular expression {pattern!r} took more than {REGEX_SECONDS:g}s on the answer "
            "(it backtracks without end); rewrite it"
        ) from None
    if match is None:
        return ""
    try:
        value = match.group(int(group) if group.isdigit() else group) if group else match[0]
    except IndexError:
        raise TemplateError(f"regular expression {pattern!r} has no group {group!r}") from None
    return value or ""


def migrate_dollar(text: str) -> str:
    """The pre-13.7.1 ``$name:arg$`` syntax as ``{name:arg}``, the way ShareX migrates it:
    each ``$`` alternately opens and closes a call, ``\\`` drops the next character,
    and literal braces are escaped."""
    out: list[str] = []
    opening = True
    i = 0
    while i < len(text):
        c = text[i]
        if c == "$":
            out.append("{" if opening else "}")
            opening = not opening
        elif c == "\\":
            i += 1  # ShareX skips the escape and the character after it
        else:
            if c in "{}":
                out.append("\\")
            out.append(c)
        i += 1
    return "".join(out)


def fill_data(data: str, body: str, filename: str, input_value: Callable[[], str]) -> str:
    """A JSON or XML body: ShareX replaces only ``{input}`` and ``{filename}`` there (the
    body's own braces are not syntax), encoding each for the body's format."""

    def encode(value: str) -> str:
        if body == "json":
            return json.dumps(value)[1:-1]
        from xml.sax.saxutils import escape

        return escape(value, {'"': "&quot;", "'": "&apos;"})

    def replace(match: re.Match[str]) -> str:
        word = match.group(1).lower()
        return encode(filename if word == "filename" else input_value())

    return re.sub(r"\{(input|filename)\}", replace, data, flags=re.IGNORECASE)


# --- ShareX's "name parser" codes (%y, %mo, %ra{8}, ...) ------------------------------

# ShareX expands these in Parameters, Headers, Arguments and Data before the syntax.
_MONTHS = "January February March April May June July August September October November December"
_CODES = re.compile(
    r"%(width|height|radjective|ranimal|unix|guid|mon2|mon|ms|mo|mi|yy|y|d|h|s|pm"
    r"|r[anx]\{(\d{1,3})\}|r[anx])"
)
# Codes that need a screenshot, a window or ShareX's own counters: reported at import.
UNSUPPORTED_CODES = re.compile(
    r"%(width|height|radjective|ranimal|rf|ib|ix|i|pn|uln|un|cn|t|w2|wy|w)(?![a-z])"
)


def unsupported_codes(text: str) -> list[str]:
    return sorted({"%" + m.group(1) for m in UNSUPPORTED_CODES.finditer(text)})


def expand_codes(text: str, now: Any = None) -> str:
    """The date, time and random codes, longest first (``%mon`` before ``%mo``)."""
    import datetime
    import secrets
    import string
    import uuid

    if "%" not in text:
        return text
    t = now or datetime.datetime.now()

    def one(match: re.Match[str]) -> str:
        code, count = match.group(1), int(match.group(2) or 1)
        if code in ("width", "height", "radjective", "ranimal"):
            return match.group(0)  # unsupported, reported at import; never half-expanded
        alphabets = {
            "a": string.ascii_letters + string.digits,
            "n": string.digits,
            "x": "0123456789abcdef",
        }
        if code[0] == "r" and code[1] in alphabets:
            return "".join(secrets.choice(alphabets[code[1]]) for _ in range(count))
        months = _MONTHS.split()
        values = {
            "unix": str(int(t.timestamp())),
            "guid": str(uuid.uuid4()),
            "mon2": months[t.month - 1][:3],
            "mon": months[t.month - 1],
            "ms": f"{t.microsecond // 1000:03d}",
            "mo": f"{t.month:02d}",
            "mi": f"{t.minute:02d}",
            "yy": f"{t.year % 100:02d}",
            "y": str(t.year),
            "d": f"{t.day:02d}",
            "h": f"{t.hour:02d}",
            "s": f"{t.second:02d}",
            "pm": "PM" if t.hour >= 12 else "AM",
        }
        return values[code]

    return _CODES.sub(one, text)
