"""`pixup sandbox`: serve the sandbox on 127.0.0.1 until interrupted."""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from pixup.errors import UsageError


def _cannot_listen(host: str, port: int) -> str | None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def print_env(host: str, port: int, urls_only: bool = False) -> int:
    from pixup.sandbox.accounts import SANDBOX

    if port == 0:
        sys.stderr.write("pixup: error: --print-env needs the --port the sandbox listens on\n")
        return UsageError.exit_code
    base = f"http://{host}:{port}"
    values = SANDBOX.urls(base) if urls_only else SANDBOX.environment(base)
    for key, value in values.items():
        sys.stdout.write(f"export {key}={value}\n")
    return 0


def _access_log(log: Path | None) -> None:
    """werkzeug logs each request to stderr, which lands in the middle of whatever runs in
    the same terminal (a sandbox in the background): to a file when asked, else nowhere."""
    import logging

    logger = logging.getLogger("werkzeug")
    logger.propagate = False
    if log is None:
        logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.ERROR + 1)
        return
    handler = logging.FileHandler(log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _stop_on_sigterm() -> None:
    # `kill %1` sends SIGTERM: end like Ctrl-C, so the temporary folder is removed.
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def run(
    host: str,
    port: int,
    data_dir: Path | None,
    max_size: str | None = None,
    log: Path | None = None,
) -> int:
    try:
        from werkzeug.serving import make_server

        from pixup.sandbox.server import DEFAULT_MAX_SIZE, SandboxApp
    except ImportError:
        sys.stderr.write("pixup: error: the sandbox needs werkzeug: pip install 'pixup[sandbox]'\n")
        return UsageError.exit_code
    from pixup.values import parse_size

    try:
        limit = parse_size(max_size) if max_size else DEFAULT_MAX_SIZE
    except ValueError as exc:
        sys.stderr.write(f"pixup: error: bad value for --max-size: {exc}\n")
        return UsageError.exit_code
    # werkzeug reports a busy port itself, in two lines, and exits; ask first.
    problem = _cannot_listen(host, port)
    if problem:
        sys.stderr.write(f"pixup: error: cannot listen on {host}:{port}: {problem}\n")
        return UsageError.exit_code
    try:
        _access_log(log)
    except OSError as exc:
        sys.stderr.write(f"pixup: error: cannot write the log {log}: {exc.strerror}\n")
        return UsageError.exit_code
    temporary = data_dir is None
    folder = data_dir or Path(tempfile.mkdtemp(prefix="pixup-sandbox-"))
    try:
        server = make_server(host, port, SandboxApp(folder, limit), threaded=True)
        where = f"{folder} (removed when it stops)" if temporary else str(folder)
        return _serve(server, f"http://{host}:{server.port}", where)
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _serve(server: Any, base: str, where: str) -> int:
    from pixup.sandbox.accounts import SANDBOX

    _stop_on_sigterm()
    # The first line is for scripts and tests to read the address from.
    lines = [
        f"pixup sandbox listening on {base}",
        f"uploads are kept in {where}",
        "point pixup at it with:",
        *(f"  export {k}={v}" for k, v in SANDBOX.environment(base).items()),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
