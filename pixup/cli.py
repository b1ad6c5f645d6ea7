"""The command line: argument parsing only. Each command's work lives in pixup.commands.

Nothing heavy is imported at module level: `pixup --help` and `pixup thumb-url` must not
pay for requests, rich or keyring.
"""

import functools
import inspect
import os
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pixup import __version__
from pixup.errors import EXIT_CODES_HELP, ExitStatus, PixupError

if TYPE_CHECKING:
    from pixup.context import Context
    from pixup.output import Output
    from pixup.settings import Flags

HELP = f"""Upload photos to TwitrPix, img.ly, Imgur and compatible servers.

Examples:

  pixup upload photo.jpg -m "Sunset"      prints the media URL

  pixup upload *.png --json | jq -r .media.url

  pixup ping --service imgly

  pixup thumb-url http://img.ly/3de --html

Environment: PIXUP_SERVICE, PIXUP_<SERVICE>_URL/_API/_FORMAT, PIXUP_TIMEOUT,
PIXUP_CONFIG_DIR, PIXUP_DATA_DIR, each service's credentials ('pixup config status'
shows them and where each comes from; the man page lists their variables), and
PIXUP_<PROVIDER>_<SECRET> for a custom provider's.

{EXIT_CODES_HELP}
"""


def _examples(*commands: str, then: str = "") -> str:
    """An epilog with one example a line (Click keeps a paragraph marked \\b as it is)."""
    lines = "\n".join(f"  {c}" for c in commands)
    title = "Example" if len(commands) == 1 else "Examples"
    return f"\b\n{title}:\n{lines}" + (f"\n\n{then}" if then else "")


def _plain_metavar(self: Any, ctx: Any, *, usage: bool = False) -> str:
    """``FILE...`` and ``KEY`` in usage lines, where Typer 0.28 writes ``{FILE}``."""
    name = self.metavar or (self.name or "").upper()
    name += "..." if self.nargs != 1 else ""
    return f"[{name}]" if usage and not self.required else name


typer.core.TyperArgument.make_metavar = _plain_metavar  # type: ignore[method-assign]

app = typer.Typer(
    name="pixup",
    help=HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(
    help="Settings in the config file; log in and out (secrets go to the keyring, never the file).",
    rich_markup_mode=None,
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")
history_app = typer.Typer(
    help="Where did that picture go? Every upload that reached a service, newest first.",
    rich_markup_mode=None,
)
app.add_typer(history_app, name="history")
provider_app = typer.Typer(
    help="Custom providers: import ShareX uploaders (.sxcu) and pixup provider files.",
    rich_markup_mode=None,
    no_args_is_help=True,
)
app.add_typer(provider_app, name="provider")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pixup {__version__}")
        raise typer.Exit()


# The global options, set by the root callback before any command runs.
_GLOBALS: ContextVar[dict[str, bool]] = ContextVar("pixup_globals", default={})  # noqa: B039


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    no_keyring: Annotated[
        bool,
        typer.Option(
            "--no-keyring",
            help="Do not use the system keyring in this run (also PIXUP_NO_KEYRING=1).",
        ),
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour in the output (also NO_COLOR=1).")
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            help="Never prompt: a value that is missing is an error that names it "
            "(prompts are only ever made when stdin is a terminal).",
        ),
    ] = False,
) -> None:
    _GLOBALS.set({"no_keyring": no_keyring, "no_color": no_color, "no_input": no_input})
    _CONTEXT.set(None)


_CONTEXT: ContextVar["Context | None"] = ContextVar("pixup_context", default=None)


def _ctx() -> "Context":
    """The run's context (streams, terminal, environment, config, prompting), made once."""
    ctx = _CONTEXT.get()
    if ctx is None:
        from pixup.context import from_process

        ctx = from_process(**_GLOBALS.get())
        _CONTEXT.set(ctx)
    return ctx


def _complete_service(incomplete: str) -> list[str]:
    from pixup import providers

    return [n for n in providers.names() if n.startswith(incomplete)]


def _complete_size(ctx: typer.Context, incomplete: str) -> list[str]:
    """The sizes of the service given on the line (-s), else of every service."""
    import contextlib

    from pixup import providers

    chosen = providers.all_providers()
    if ctx.params.get("service"):
        with contextlib.suppress(PixupError):  # an unknown one: offer them all
            chosen = [providers.get(ctx.params["service"])]
    sizes = dict.fromkeys(s for p in chosen for s in p.thumb_sizes)
    return [s for s in sizes if s.startswith(incomplete)]


def _complete_api(incomplete: str) -> list[str]:
    from pixup import providers

    apis = dict.fromkeys(str(a) for p in providers.builtin() for a in p.apis)
    return [a for a in sorted(apis) if a.startswith(incomplete)]


def _complete_format(incomplete: str) -> list[str]:
    return [f for f in ("json", "xml") if f.startswith(incomplete)]


def _complete_key(incomplete: str) -> list[str]:
    from pixup.keys import key_specs

    return [k for k in key_specs() if k.startswith(incomplete)]


ServiceOpt = Annotated[
    str | None,
    typer.Option(
        "--service",
        "-s",
        metavar="SERVICE",
        autocompletion=_complete_service,
        help="A built-in service or a custom provider ('pixup provider list'); default: "
        "the config key 'service', else the first built-in one.",
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="Base URL of the service (for self-hosted servers); for a custom provider, "
        "its whole upload URL.",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="json|xml",
        autocompletion=_complete_format,
        help="Answer format asked for: json or xml.",
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", metavar="SECONDS", help="Network timeout in seconds (default 30)."),
]
ApiOpt = Annotated[
    int | None,
    typer.Option(
        "--api",
        metavar="N",
        autocompletion=_complete_api,
        help="API version, of those the service has (default: its usual one).",
    ),
]
MaxSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--max-size",
        metavar="SIZE",
        help="The largest upload, e.g. 4MB (upload: checked before sending, default the "
        "service's limit; sandbox: what it takes, default 4MB).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log the HTTP exchange to stderr, secrets redacted.")
]


def _output(json_mode: bool = False, quiet: bool = False, verbose: bool = False) -> "Output":
    return _ctx().output(json_mode=json_mode, quiet=quiet, verbose=verbose)


def _flags(
    service: str | None = None,
    api: int | None = None,
    fmt: str | None = None,
    endpoint: str | None = None,
    timeout: float | None = None,
) -> "Flags":
    from pixup.settings import Flags

    return Flags(service=service, api=api, format=fmt, endpoint=endpoint, timeout=timeout)


@app.command(
    epilog=_examples(
        "pixup upload photo.jpg -m 'At the beach'",
        "pixup upload -s imgly --api 1 --post a.png -m 'Hi'",
        "pixup upload a.png --dry-run",
        then=EXIT_CODES_HELP,
    )
)
def upload(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="Image files to upload; - reads one from stdin.",
            show_default=False,
            # Each file is checked by pre-flight, as that file's failure (exit 4), never
            # as a usage error that stops the whole batch.
            readable=False,
        ),
    ],
    service: ServiceOpt = None,
    api: ApiOpt = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", metavar="TEXT", help="Text to go with the photo."),
    ] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Also post the message to Twitter (uploadAndPost).")
    ] = False,
    base64: Annotated[
        bool, typer.Option("--base64", help="Send the media base64-encoded (TwitrPix API 1).")
    ] = False,
    tags: Annotated[
        str | None,
        typer.Option("--tags", metavar="TAGS", help="Comma-separated tags (TwitrPix API 1)."),
    ] = None,
    latitude: Annotated[
        float | None,
        typer.Option(
            "--latitude", metavar="DEGREES", help="Where the photo was taken (TwitrPix API 1)."
        ),
    ] = None,
    longitude: Annotated[
        float | None, typer.Option("--longitude", metavar="DEGREES", help="See --latitude.")
    ] = None,
    fmt: FormatOpt = None,
    endpoint: EndpointOpt = None,
    timeout: TimeoutOpt = None,
    json_mode: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the URLs.")] = False,
    verbose: VerboseOpt = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the request (secrets redacted); send nothing.")
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", metavar="N", help="Upload up to N files at once.")
    ] = 4,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            metavar="N",
            help="Retries when the service was not reached, or answered 503/429.",
        ),
    ] = 2,
    max_size: MaxSizeOpt = None,
    filename: Annotated[
        str | None,
        typer.Option("--filename", metavar="NAME", help="The file name the server sees for '-'."),
    ] = None,
    copy: Annotated[
        bool, typer.Option("--copy", help="Put the uploaded URLs on the clipboard.")
    ] = False,
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing",
            help="Do not upload a file whose content was already uploaded to this service "
            "(from the history); report the earlier result.",
        ),
    ] = False,
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Do not record this run in the upload history.")
    ] = False,
    no_progress: Annotated[
        bool,
        typer.Option("--no-progress", help="No progress bars at a terminal (results stay)."),
    ] = False,
    details: Annotated[
        bool,
        typer.Option("--details", help="At a terminal, a table for each file instead of one line."),
    ] = False,
    allow_insecure_http: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-http",
            help="Allow credentials over plain http:// to a host that is not a service default "
            "or loopback.",
        ),
    ] = False,
) -> None:
    """Upload image files; print each media URL on its own line."""
    from dataclasses import replace

    from pixup.commands import upload as cmd
    from pixup.models import UploadOptions

    opts = UploadOptions(
        message=message,
        post=post,
        base64=base64,
        tags=tags,
        latitude=latitude,
        longitude=longitude,
    )
    flags = _flags(service, api, fmt, endpoint, timeout)
    code = cmd.run(
        files,
        replace(flags, max_size=max_size),
        opts,
        _output(json_mode, quiet, verbose),
        _ctx(),
        cmd.Batch(
            jobs=jobs,
            retries=retries,
            dry_run=dry_run,
            filename=filename,
            allow_insecure_http=allow_insecure_http,
            copy=copy,
            history=not no_history,
            skip_existing=skip_existing,
            progress=not no_progress,
            details=details,
        ),
    )
    raise typer.Exit(code)


@app.command(epilog=_examples("pixup ping -s imgly --json", then=EXIT_CODES_HELP))
def ping(
    service: ServiceOpt = None,
    fmt: FormatOpt = None,
    endpoint: EndpointOpt = None,
    timeout: TimeoutOpt = None,
    json_mode: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Check that the service answers: pong, maintenance or unreachable, with the latency."""
    from pixup.commands import ping as cmd

    code = cmd.run(
        _flags(service, None, fmt, endpoint, timeout),
        _output(json_mode, verbose=verbose),
        _ctx(),
    )
    raise typer.Exit(code)


@app.command(
    "thumb-url",
    epilog=_examples(
        "pixup thumb-url 3de -s imgly --size mini", "pixup thumb-url http://twitrpix.com/5kr --html"
    ),
)
def thumb_url(
    id_or_url: Annotated[
        str, typer.Argument(metavar="ID_OR_URL", help="A media id, or a media URL.")
    ],
    service: ServiceOpt = None,
    size: Annotated[
        str | None,
        typer.Option(
            "--size",
            metavar="SIZE",
            autocompletion=_complete_size,
            help="Thumbnail size, one of the service's own (completion lists them; a wrong "
            "one is answered with the choices).",
        ),
    ] = None,
    as_html: Annotated[
        bool, typer.Option("--html", help="Print the linked thumbnail as HTML.")
    ] = False,
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the linked thumbnail as Markdown.")
    ] = False,
    endpoint: EndpointOpt = None,
    json_mode: JsonOpt = False,
) -> None:
    """Print the thumbnail URL of a media id or URL (works offline)."""
    from pixup.commands import thumb_url as cmd
    from pixup.errors import UsageError

    out = _output(json_mode)
    if as_html and as_markdown:
        out.error(UsageError("--html and --markdown cannot be used together"))
        raise typer.Exit(UsageError.exit_code)
    style = "html" if as_html else "markdown" if as_markdown else "url"
    code = cmd.run(
        id_or_url,
        _flags(service, None, None, endpoint),
        size,
        style,
        out,
        _ctx(),
    )
    raise typer.Exit(code)


@app.command(
    epilog=_examples(
        "pixup sandbox --port 8765 &", 'eval "$(pixup sandbox --port 8765 --print-env)"'
    )
)
def sandbox(
    port: Annotated[
        int,
        typer.Option(
            "--port", metavar="PORT", min=0, max=65535, help="Port to listen on (0: any free port)."
        ),
    ] = 0,
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help="Where uploads are kept (default: a temporary folder).",
        ),
    ] = None,
    print_env: Annotated[
        bool,
        typer.Option(
            "--print-env",
            help="Print the shell exports that point pixup at a sandbox on --host/--port; exit.",
        ),
    ] = False,
    max_size: MaxSizeOpt = None,
    urls_only: Annotated[
        bool,
        typer.Option(
            "--urls-only", help="With --print-env: only the URLs, no credentials (to try login)."
        ),
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="Append the access log (one line a request) to FILE; by default there is none.",
        ),
    ] = None,
) -> None:
    """Run a local server that speaks both services' APIs, for trying pixup out and for tests."""
    from pixup.sandbox import cli as cmd

    if print_env:
        raise typer.Exit(cmd.print_env(host, port, urls_only))
    raise typer.Exit(cmd.run(host, port, data_dir, max_size, log))


# --- config ---------------------------------------------------------------------------

ConfigJsonOpt = Annotated[bool, typer.Option("--json", help="Answer as a JSON object.")]
KeyArg = Annotated[
    str,
    typer.Argument(
        metavar="KEY", autocompletion=_complete_key, help="e.g. service, imgly.url, twitrpix.api"
    ),
]


@config_app.command("path")
def config_path() -> None:
    """Print where the config file is (PIXUP_CONFIG_DIR moves it)."""
    from pixup.commands import config_cmd

    raise typer.Exit(config_cmd.path(_output(), _ctx()))


@config_app.command("get")
def config_get(key: KeyArg, json_mode: ConfigJsonOpt = False) -> None:
    """Print the value of KEY (exit 1 when it is not set)."""
    from pixup.commands import config_cmd

    raise typer.Exit(config_cmd.get(key, _output(json_mode), _ctx()))


@config_app.command("set")
def config_set(
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    json_mode: ConfigJsonOpt = False,
) -> None:
    """Set KEY to VALUE (for example: pixup config set imgly.url http://localhost:8080)."""
    from pixup.commands import config_cmd

    raise typer.Exit(config_cmd.set_(key, value, _output(json_mode), _ctx()))


@config_app.command("unset")
def config_unset(key: KeyArg, json_mode: ConfigJsonOpt = False) -> None:
    """Remove KEY from the config file."""
    from pixup.commands import config_cmd

    raise typer.Exit(config_cmd.unset(key, _output(json_mode), _ctx()))


@config_app.command("list")
def config_list(
    effective: Annotated[
        bool,
        typer.Option(
            "--effective",
            help="Every setting in effect for a service, with where each comes from (flag, "
            "env, config, default), and its credentials (secrets as set or missing).",
        ),
    ] = False,
    service: ServiceOpt = None,
    json_mode: ConfigJsonOpt = False,
) -> None:
    """Print every key set in the config file, and which secrets the keyring holds."""
    from pixup.commands import config_cmd

    raise typer.Exit(config_cmd.list_(_output(json_mode), _ctx(), effective, service))


LOGIN_HELP = """Log in once and keep the secrets in the system keyring.

    Each service declares what its login takes: OAuth uses a PIN flow (pixup prints a
    page to open, you authorize it and type the PIN); an API key, or a user name and
    password, are stored as given. Without --service, the OAuth account the built-in
    services share. Secrets are asked for at the terminal with hidden input, or read from
    stdin with one --*-stdin option.
    """


class _LoginCommand:
    """`config login`, whose credential options (--consumer-key, --password-stdin, ...)
    come from the providers' declarations. Typer reads the signature when it builds the
    command, so the providers are imported only by runs that build it."""

    __name__ = "config_login"
    __qualname__ = "config_login"
    __module__ = __name__
    # False only where no one will see or use the options (the root's help).
    declared_options = True

    @functools.cached_property
    def _credential_params(self) -> list[inspect.Parameter]:
        if not self.declared_options:
            return []
        from pixup.providers import login_credentials

        params: list[inspect.Parameter] = []
        for spec in login_credentials():
            if spec.flag:
                option = typer.Option(
                    spec.flag, metavar=spec.name.upper(), help=spec.flag_help or spec.label
                )
                params.append(_keyword(spec.name, Annotated[str | None, option], None))
        for spec in login_credentials():
            if spec.stdin_option:
                option = typer.Option(
                    spec.stdin_option, help=f"Read the {spec.label} from standard input."
                )
                params.append(_keyword(f"{spec.name}_stdin", Annotated[bool, option], False))
        return params

    @property
    def __signature__(self) -> inspect.Signature:
        static = inspect.signature(_login_options).parameters.values()
        return inspect.Signature([*static, *self._credential_params])

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **given: Any) -> None:
        from pixup.commands import login as cmd
        from pixup.errors import UsageError
        from pixup.providers import login_credentials

        out = _output(given["json_mode"])
        specs = login_credentials()
        chosen = [c.name for c in specs if c.stdin_option and given.get(f"{c.name}_stdin")]
        if len(chosen) > 1:
            out.error(UsageError("only one --*-stdin option can be used at a time"))
            raise typer.Exit(UsageError.exit_code)
        opts = cmd.LoginOptions(
            service=given["service"],
            api=given["api"],
            values={c.name: given[c.name] for c in specs if c.flag and given.get(c.name)},
            stdin_secret=chosen[0] if chosen else None,
            account=given["account"],
            browser=not given["no_browser"],
        )
        raise typer.Exit(cmd.login(opts, out, _ctx()))


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def _login_options(
    service: ServiceOpt = None,
    api: ApiOpt = None,
    account: Annotated[
        bool,
        typer.Option(
            "--account",
            help="Log in as your account at the service (its OAuth flow), where it also "
            "takes anonymous uploads.",
        ),
    ] = False,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the authorize page in a browser.")
    ] = False,
    json_mode: ConfigJsonOpt = False,
) -> None:
    """The options of `config login` that every login has."""


_LOGIN = _LoginCommand()
config_app.command(
    "login",
    help=LOGIN_HELP,
    epilog=_examples(
        "pixup config login --service twitrpix",
        "pixup config login --service imgly --api 1 --username alice --password-stdin < pw.txt",
        "pixup config login --token 42-abc --token-secret-stdin < secret.txt",
    ),
)(_LOGIN)


@config_app.command("logout")
def config_logout(service: ServiceOpt = None, json_mode: ConfigJsonOpt = False) -> None:
    """Remove what login stored: everything, or one service's own credentials."""
    from pixup.commands import login as cmd

    raise typer.Exit(cmd.logout(service, _output(json_mode), _ctx()))


@config_app.command("status")
def config_status(json_mode: ConfigJsonOpt = False) -> None:
    """Which credentials each service has and where each comes from (never their values)."""
    from pixup.commands import login as cmd

    raise typer.Exit(cmd.status(_output(json_mode), _ctx()))


# --- history --------------------------------------------------------------------------


@history_app.callback(
    invoke_without_command=True,
    epilog=_examples("pixup history --since 3d", "pixup history --failed --json | jq -r .file"),
)
def history(
    ctx: typer.Context,
    service: ServiceOpt = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="WHEN", help="2026-11-01, 2026-11-01T12:00, or 30m/12h/3d/2w."
        ),
    ] = None,
    grep: Annotated[
        str | None,
        typer.Option(
            "--grep", metavar="TEXT", help="Only records whose file, message or URL has TEXT."
        ),
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only failed uploads.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="At most N records (0: all of them).")
    ] = 20,
    json_mode: JsonOpt = False,
) -> None:
    """List recorded uploads (a table, or NDJSON with --json)."""
    if ctx.invoked_subcommand is not None:
        return
    from pixup.commands import history_cmd

    raise typer.Exit(
        history_cmd.list_(_output(json_mode), _ctx(), service, since, grep, failed, limit)
    )


@history_app.command("show")
def history_show(
    id_or_url: Annotated[
        str, typer.Argument(metavar="ID_OR_URL", help="A record number, media id or URL.")
    ],
    json_mode: JsonOpt = False,
) -> None:
    """Everything recorded about one upload."""
    from pixup.commands import history_cmd

    raise typer.Exit(history_cmd.show(_output(json_mode), _ctx(), id_or_url))


@history_app.command("forget")
def history_forget(
    ids: Annotated[list[int] | None, typer.Argument(metavar="ID", help="Record numbers.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Forget the whole history.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --all.")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Remove records from the history (not the uploads themselves)."""
    from pixup.commands import history_cmd

    raise typer.Exit(history_cmd.forget(_output(json_mode), _ctx(), ids or [], everything, yes))


def _complete_custom(incomplete: str) -> list[str]:
    from pixup import providers

    return [n for n in providers.names() if n not in providers.BUILTIN and n.startswith(incomplete)]


ProviderArg = Annotated[
    str,
    typer.Argument(
        metavar="NAME", autocompletion=_complete_custom, help="A custom provider's name."
    ),
]


@provider_app.command(
    "add",
    epilog=_examples(
        "pixup provider add example.com.sxcu",
        "pixup provider add myhost.toml --name myhost",
        "pixup upload -s example-com photo.png",
    ),
)
def provider_add(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="A ShareX custom uploader (.sxcu) or a pixup provider (.toml)."
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="The provider's name in pixup."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a provider of the same name.")
    ] = False,
    json_mode: ConfigJsonOpt = False,
) -> None:
    """Import a provider; secrets written in a .sxcu file move into the keyring."""
    from pixup.commands import provider_cmd

    raise typer.Exit(provider_cmd.add(file, name, force, _output(json_mode), _ctx()))


@provider_app.command("list")
def provider_list(json_mode: ConfigJsonOpt = False) -> None:
    """List the built-in and custom providers (and any provider file that is broken)."""
    from pixup.commands import provider_cmd

    raise typer.Exit(provider_cmd.list_(_output(json_mode), _ctx()))


@provider_app.command("show")
def provider_show(name: ProviderArg, json_mode: ConfigJsonOpt = False) -> None:
    """Print a custom provider's definition and where each of its secrets comes from."""
    from pixup.commands import provider_cmd

    raise typer.Exit(provider_cmd.show(name, _output(json_mode), _ctx()))


@provider_app.command("export")
def provider_export(
    name: ProviderArg,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here, not to stdout."),
    ] = None,
) -> None:
    """Write a custom provider in pixup's TOML format (never its secrets)."""
    from pixup.commands import provider_cmd

    raise typer.Exit(provider_cmd.export(name, output_file, _output(), _ctx()))


@provider_app.command("remove")
def provider_remove(name: ProviderArg, json_mode: ConfigJsonOpt = False) -> None:
    """Delete a custom provider's file and its secrets in the keyring."""
    from pixup.commands import provider_cmd

    raise typer.Exit(provider_cmd.remove(name, _output(json_mode), _ctx()))


@app.command(
    "delete",
    epilog=_examples(
        "pixup delete 12",
        "pixup delete https://i.example/abc -y --json",
        "pixup delete 12 13 --dry-run",
    ),
)
def delete(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="ID_OR_URL...", help="History record numbers, media URLs or media ids."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the requests; delete nothing.")
    ] = False,
    endpoint: EndpointOpt = None,
    json_mode: JsonOpt = False,
) -> None:
    """Delete uploads at their host, where it allows it, with what the history recorded."""
    from pixup.commands import delete as cmd

    opts = cmd.DeleteOptions(tuple(targets or ()), yes, dry_run, endpoint)
    raise typer.Exit(cmd.run(opts, _output(json_mode), _ctx()))


@provider_app.command(
    "test",
    epilog=_examples(
        "pixup provider test example-com --response answer.json",
        "pixup provider test chevereto --response empty.txt --status 302 "
        "--header 'Location: /image/abc'",
    ),
)
def provider_test(
    name: ProviderArg,
    response: Annotated[
        Path | None,
        typer.Option(
            "--response", metavar="FILE", help="A saved answer's body (as the host sent it)."
        ),
    ] = None,
    status: Annotated[
        int, typer.Option("--status", metavar="N", help="The answer's HTTP status.")
    ] = 200,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", metavar="'NAME: VALUE'", help="An answer header (repeatable)."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="The upload's URL, for {responseurl} and a relative "
            "Location (default: the provider's RequestURL).",
        ),
    ] = None,
    request: Annotated[
        Path | None,
        typer.Option(
            "--request",
            metavar="IMAGE",
            help="Print the request the provider would send for IMAGE (as upload --dry-run).",
        ),
    ] = None,
    json_mode: ConfigJsonOpt = False,
) -> None:
    """Evaluate a custom provider's URL, ThumbnailURL, DeletionURL and ErrorMessage
    against a saved answer, sending nothing, and say what an upload would conclude; or
    print the request it would send for an image."""
    from pixup.commands import provider_cmd

    out = _output(json_mode)
    if request is None and response is None:
        out.error("give --response FILE (a saved answer), --request IMAGE, or both")
        raise typer.Exit(2)
    if request is not None:
        code = provider_cmd.show_request(name, request, out, _ctx())
        if code or response is None:
            raise typer.Exit(code)
    assert response is not None
    opts = provider_cmd.TestOptions(response, status, tuple(header or ()), url)
    raise typer.Exit(provider_cmd.test(name, opts, out, _ctx()))


@provider_app.command(
    "secret", epilog=_examples("pixup provider secret example-com token < token.txt")
)
def provider_secret(
    name: ProviderArg,
    secret: Annotated[str, typer.Argument(metavar="SECRET", help="The secret's name.")],
    json_mode: ConfigJsonOpt = False,
) -> None:
    """Store one of a custom provider's secrets in the keyring (hidden prompt, or stdin)."""
    from pixup.commands import provider_cmd

    raise typer.Exit(provider_cmd.set_secret(name, secret, _output(json_mode), _ctx()))


def main() -> None:
    """Entry point: a PixupError or a bug ends in one line on stderr, never a traceback."""
    try:
        code = _app_for(sys.argv[1:], os.environ)(prog_name="pixup", standalone_mode=False)
    except PixupError as err:
        sys.stderr.write(f"pixup: error: {err.message}\n")
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("pixup: interrupted\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`pixup upload ... | head -1`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitStatus.OTHER)
    except Exception as exc:
        if _is_parse_error(exc):
            sys.exit(_report_parse_error(exc))
        if os.environ.get("PIXUP_DEBUG"):
            raise
        sys.stderr.write(
            f"pixup: internal error: {type(exc).__name__}: {exc} "
            "(set PIXUP_DEBUG=1 for a traceback, and please report it)\n"
        )
        sys.exit(ExitStatus.OTHER)
    sys.exit(code if isinstance(code, int) else 0)


def _app_for(argv: list[str], env: Mapping[str, str]) -> typer.Typer:
    """The app with only the command that ``argv`` names, when it names one.

    Typer turns every registered command into a Click command on each run, inspecting every
    signature: about a fifth of `pixup thumb-url`'s start-up went to building the commands
    it does not run. Help, shell completion and anything unrecognised get the full app.
    """
    if "_PIXUP_COMPLETE" in env:
        return app
    # The global options are all flags, so the first other word is the command's name.
    at = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if at is None:
        # `pixup --help`, `--version` or nothing: no command's options are shown, so the
        # login command need not read the providers' declarations for its own.
        _LOGIN.declared_options = False
        return app
    return _slim(app, argv[at:])


def _slim(group: typer.Typer, words: list[str]) -> typer.Typer:
    """``group`` keeping only the command or sub-group ``words[0]``, when it has one."""
    import copy

    name = words[0]
    for info in group.registered_commands:
        callback = info.callback
        if callback is not None and name == (info.name or callback.__name__.replace("_", "-")):
            slim = copy.copy(group)
            slim.registered_commands, slim.registered_groups = [info], []
            return slim
    for sub in group.registered_groups:
        if sub.name == name and sub.typer_instance is not None:
            slim_info = copy.copy(sub)
            # Only a sub-command given right after the group's name is certain to be one
            # (`history --grep show` is an option value): otherwise the whole group.
            rest = words[1:2]
            if rest and not rest[0].startswith("-"):
                slim_info.typer_instance = _slim(sub.typer_instance, rest)
            slim = copy.copy(group)
            slim.registered_commands, slim.registered_groups = [], [slim_info]
            return slim
    return group


def _is_parse_error(exc: Exception) -> bool:
    # Typer raises its vendored Click's exceptions for bad arguments and exports no
    # public base class for them; they are the ones that carry both of these.
    return isinstance(getattr(exc, "exit_code", None), int) and callable(
        getattr(exc, "format_message", None)
    )


def _report_parse_error(exc: Any) -> int:
    """One line for a bad argument, with where to look; the full help when there were
    no arguments at all."""
    message: str = exc.format_message()
    if type(exc).__name__ == "NoArgsIsHelpError":
        sys.stderr.write(message.rstrip("\n") + "\n")
    else:
        ctx = getattr(exc, "ctx", None)
        where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        sys.stderr.write(f"pixup: error: {message.rstrip('.')}{where}\n")
    code: int = exc.exit_code
    return code


if __name__ == "__main__":
    main()
