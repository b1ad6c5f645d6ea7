"""Renewing an OAuth 2 access token the service refused, without asking the user: the
provider's OAuth2Pin login step says where, the refresh token found with the other
credentials says with what. The new tokens replace the old ones in the keyring."""

from __future__ import annotations

from pixup.commands.upload.executor import Renew
from pixup.context import Context
from pixup.errors import PixupError
from pixup.models import Credentials
from pixup.output import Output
from pixup.settings import Settings
from pixup.specs import OAuth2Pin


def _step(settings: Settings) -> OAuth2Pin | None:
    steps = settings.provider.login_steps(settings.target.api, True)
    step = next((s for s in steps if isinstance(s, OAuth2Pin)), None)
    if step is None or not settings.credentials[step.refresh_token.name]:
        return None
    return step


def renewal(settings: Settings, ctx: Context, out: Output) -> Renew | None:
    step = _step(settings)
    if step is None:
        return None
    access, refresh = step.access_token, step.refresh_token
    title = settings.provider.title

    def renew(refused: Credentials) -> Credentials | None:
        from pixup.auth import oauth2

        url = settings.target.base + step.token_path
        try:
            tokens = oauth2.refresh(step, url, dict(refused.values), settings.timeout)
        except PixupError as err:
            out.warn(
                f"{title} refused the access token, and it could not be renewed: {err.message}"
            )
            return None
        out.add_secrets(tokens)
        try:
            ctx.keystore().set_all({access.store: tokens[0], refresh.store: tokens[1]})
            out.info(f"Renewed the {title} access token (stored in the keyring).")
        except PixupError as exc:
            out.warn(f"renewed the {title} access token for this run only: {exc.message}")
        values = {**refused.values, access.name: tokens[0], refresh.name: tokens[1]}
        return Credentials(values, refused.public)

    return renew
