"""`pixup sandbox`: serve the sandbox on 127.0.0.1 until interrupted."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pixup.errors import UsageError


def print_env(host: str, port: int) -> int:
    from pixup.sandbox.accounts import SANDBOX

    if port == 0:
        sys.stderr.write("pixup: error: --print-env needs the --port the sandbox listens on\n")
        return UsageError.exit_code
    for key, value in SANDBOX.environment(f"http://{host}:{port}").items():
        sys.stdout.write(f"export {key}={value}\n")
    return 0


def run(host: str, port: int, data_dir: Path | None, max_size: int | None = None) -> int:
    try:
        from werkzeug.serving import make_server

        from pixup.sandbox.accounts import SANDBOX
        from pixup.sandbox.server import DEFAULT_MAX_SIZE, SandboxApp
    except ImportError:
        sys.stderr.write("pixup: error: the sandbox needs werkzeug: pip install 'pixup[sandbox]'\n")
        return UsageError.exit_code
    folder = data_dir or Path(tempfile.mkdtemp(prefix="pixup-sandbox-"))
    app = SandboxApp(folder, max_size or DEFAULT_MAX_SIZE)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        sys.stderr.write(f"pixup: error: cannot listen on {host}:{port}: {exc.strerror}\n")
        return UsageError.exit_code
    base = f"http://{host}:{server.port}"
    # The first line is for scripts and tests to read the address from.
    lines = [
        f"pixup sandbox listening on {base}",
        f"uploads are kept in {folder}",
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
