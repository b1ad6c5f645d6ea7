"""Where credentials come from, resolved in one place.

For now the environment is the only store (the keyring follows); either way no value
ever reaches argv, the config file, a log or an error message.
"""

from __future__ import annotations

from collections.abc import Mapping

from pixup.errors import AuthError
from pixup.models import Credentials

# One Twitter account serves both services, so the OAuth variables are not per service.
ENV_VARS: dict[str, str] = {
    "api_key": "PIXUP_TWITRPIX_API_KEY",
    "consumer_key": "PIXUP_OAUTH_CONSUMER_KEY",
    "consumer_secret": "PIXUP_OAUTH_CONSUMER_SECRET",
    "token": "PIXUP_OAUTH_TOKEN",
    "token_secret": "PIXUP_OAUTH_TOKEN_SECRET",
    "username": "PIXUP_USERNAME",
    "password": "PIXUP_PASSWORD",
}


def from_env(env: Mapping[str, str]) -> Credentials:
    return Credentials(**{name: env.get(var) or None for name, var in ENV_VARS.items()})


def require(creds: Credentials, names: tuple[str, ...], where: str) -> None:
    """An :class:`AuthError` naming every missing credential and how to provide it."""
    missing = [ENV_VARS[n] for n in names if not getattr(creds, n)]
    if missing:
        raise AuthError(
            f"missing credentials for {where}: set {', '.join(missing)} in the environment"
        )
