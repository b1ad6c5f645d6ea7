"""`pixup upload`: send each file in turn, report each result, exit with the first failure."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from pixup import output, transport
from pixup.commands.common import at_terminal, load_settings, with_credentials
from pixup.errors import PixupError, RejectedError, UsageError
from pixup.media import SNIFF_BYTES, sniff_type
from pixup.models import RequestSpec, UploadOptions, UploadParams
from pixup.output import Output
from pixup.settings import Flags, Settings

# What the URL a service appends to a tweet roughly costs, for the length warning.
TWEET_LIMIT = 140
APPENDED_URL_LENGTH = 25


def run(
    files: list[Path],
    flags: Flags,
    opts: UploadOptions,
    out: Output,
    env: Mapping[str, str],
    dry_run: bool = False,
) -> int:
    settings: Settings | None = None
    try:
        settings = load_settings(flags, env)
        _check_message(opts.message, out)
        provider = settings.provider
        settings = with_credentials(
            settings,
            provider.required_credentials(settings.target.api, opts.post),
            env,
            interactive=at_terminal() and not out.json_mode,
        )
        out.add_secrets(settings.credentials.secret_values())
    except PixupError as err:
        out.error(err)
        if out.json_mode:
            service = settings.service if settings else flags.service
            api = settings.target.api if settings else flags.api
            for f in files:
                out.json(output.upload_failed(service, api, str(f), err))
        return err.exit_code

    session = None if dry_run else transport.open_session()
    first_failure = 0
    for f in files:
        try:
            params = preflight(f, opts)
            spec = provider.build_upload(settings.target, params, settings.credentials)
            if dry_run:
                _show_request(out, settings, str(f), spec)
                continue
            assert session is not None
            _upload_one(out, settings, str(f), spec, session)
        except PixupError as err:
            out.error(f"{f}: {err.message}")
            if out.json_mode:
                out.json(output.upload_failed(provider.name, settings.target.api, str(f), err))
            first_failure = first_failure or err.exit_code
    if session is not None:
        session.close()
    return first_failure


def _upload_one(
    out: Output, settings: Settings, file: str, spec: RequestSpec, session: object
) -> None:
    provider, target = settings.provider, settings.target
    resp = transport.send(session, spec, settings.timeout, out.debug)  # type: ignore[arg-type]
    transport.refuse_redirect(resp)
    result = provider.parse_upload(target, resp)
    if out.json_mode:
        out.json(output.upload_ok(provider.name, target.api, file, result))
        return
    out.line(result.media.url or "")
    out.details(
        f"{provider.title}: {file}",
        [
            ("service", f"{provider.name} API {target.api}"),
            ("id", result.media.id),
            ("url", result.media.url),
            ("thumbnail", result.media.thumb_url),
            ("size", _size_text(result)),
            ("user", result.user.screen_name),
            ("status", result.status_id),
        ],
    )


def _size_text(result: object) -> str | None:
    media = getattr(result, "media", None)
    if media is None or media.width is None or media.height is None:
        return None
    size = f"{media.width}x{media.height}"
    return f"{size}, {media.size:,} bytes" if media.size is not None else size


def _show_request(out: Output, settings: Settings, file: str, spec: RequestSpec) -> None:
    shown = spec.redacted()
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "dry_run": True,
                "service": settings.provider.name,
                "api": settings.target.api,
                "file": file,
                "request": shown,
            }
        )
        return
    out.line(f"{shown['method']} {shown['url']}")
    for name, value in shown["headers"].items():
        out.line(f"{name}: {value}")
    for name, value in shown["fields"]:
        out.line(f"field {name}={value}")
    for part in shown["files"]:
        out.line(
            f"file {part['field']}=@{part['path']} ({part['content_type']}, {part['encoding']})"
        )


def _check_message(message: str | None, out: Output) -> None:
    if message is None:
        return
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            "the message is not valid text (it has bytes that are not UTF-8)"
        ) from None
    if len(message) + 1 + APPENDED_URL_LENGTH > TWEET_LIMIT:
        out.warn(
            f"the message is {len(message)} characters; with the link the service adds it "
            f"exceeds {TWEET_LIMIT} and may be cut short when posted"
        )


def preflight(path: Path, opts: UploadOptions) -> UploadParams:
    """Check the file before any byte is sent, and describe it for the request."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise RejectedError("no such file") from None
    except OSError as exc:
        raise RejectedError(exc.strerror or "cannot be read") from None
    if stat.S_ISDIR(st.st_mode):
        raise RejectedError("is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise RejectedError("not a regular file")
    if st.st_size == 0:
        raise RejectedError("the file is empty")
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise RejectedError(f"cannot read: {exc.strerror}") from None
    content_type = sniff_type(head)
    if content_type is None:
        raise RejectedError(
            "not a JPEG, PNG or GIF image (judged by its first bytes, not its name)"
        )
    return UploadParams(
        path=path,
        filename=path.name,
        content_type=content_type,
        options=opts,
    )
