"""`pixup ping`: is the service there, and how long does it take to answer?"""

from __future__ import annotations

import time

from pixup import output, transport
from pixup.commands.common import load_settings
from pixup.context import Context
from pixup.errors import NetworkError, PixupError, ServerError
from pixup.output import Output
from pixup.settings import Flags


def run(flags: Flags, out: Output, ctx: Context) -> int:
    service: str | None = flags.service
    endpoint: str | None = flags.endpoint
    latency: float | None = None
    try:
        settings = load_settings(flags, ctx)
        provider, target = settings.provider, settings.target
        service, endpoint = provider.name, target.base
        spec = provider.build_ping(target)
        started = time.perf_counter()
        with transport.open_session() as session:
            resp = transport.send(session, spec, settings.timeout, out.debug)
        latency = (time.perf_counter() - started) * 1000
        result = provider.parse_ping(target, resp)
        if result.status == "maintenance":
            raise ServerError(f"{provider.name} is down for maintenance", http_status=resp.status)
    except PixupError as err:
        status = (
            "unreachable"
            if isinstance(err, NetworkError)
            else "maintenance"
            if "maintenance" in err.message
            else "error"
        )
        out.error(err)
        if out.json_mode:
            out.json(output.ping_obj(service, endpoint, status, latency, err))
        return err.exit_code
    if out.json_mode:
        out.json(output.ping_obj(service, endpoint, result.status, latency))
    else:
        out.line(f"{service}: {result.status} from {endpoint} in {latency:.0f} ms")
    return 0
