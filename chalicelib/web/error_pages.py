"""Error pages: what went wrong, and where in this site's configuration to fix it."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.access.session import detailed
from chalicelib.config.model import Config, Dashboard
from chalicelib.logs import note
from chalicelib.thingspeak.errors import ThingSpeakError
from chalicelib.web import responses
from chalicelib.web.rendering import ErrorView, Renderer

BAD_REQUEST = "bad_request"
NOT_FOUND = "not_found"


class ErrorPages:
    def __init__(self, renderer: Renderer, config: Config) -> None:
        self._renderer = renderer
        self._config = config

    def page(self, code: str, message: str, status: int) -> Response:
        view = ErrorView(code=code, title=responses.TITLES.get(code, code), message=message)
        return responses.html(self._renderer.error(view), status)

    def thingspeak_page(self, exc: ThingSpeakError, dashboard: Dashboard) -> Response:
        fix = self._fix(exc, dashboard)
        if fix and not detailed():
            note(error_fix=fix)
            fix = None
        view = ErrorView(code=exc.code, title=exc.title, message=public_message(exc), fix=fix)
        return responses.html(self._renderer.error(view), responses.status_for(exc))

    def _fix(self, exc: ThingSpeakError, dashboard: Dashboard) -> str | None:
        """Where the setting to change lives: the dashboards file, or the environment."""
        in_file = self._config.source != "THINGSPEAK_CHANNEL_ID"
        where = f"dashboard {dashboard.name!r} in {self._config.source}"
        if exc.code == "channel_not_found":
            if in_file:
                return f"Check channel = {dashboard.channel} for {where}."
            return "Check THINGSPEAK_CHANNEL_ID in .chalice/config.json."
        if exc.code == "read_api_key_required":
            if in_file:
                return (
                    "Copy the channel's Read API Key from ThingSpeak (your channel, tab API "
                    f"Keys) and name where it is kept for {where}: read_api_key_param (an SSM "
                    "SecureString, in production) or read_api_key_env (an environment "
                    "variable, locally); then deploy again or restart chalice local."
                )
            return (
                "Copy the channel's Read API Key from ThingSpeak (your channel, tab API Keys) "
                "and set it for this stage in .chalice/config.json as THINGSPEAK_READ_API_KEY, "
                "or in production keep it in SSM as a SecureString named by "
                "THINGSPEAK_READ_API_KEY_PARAM; then deploy again or restart chalice local."
            )
        return None


# Errors whose message names configuration (an SSM parameter, a policy file).
_CONFIGURATION = ("read_api_key_unavailable",)


def public_message(exc: ThingSpeakError) -> str:
    """The message for this visitor: configuration details only for signed-in people
    (chalicelib/access/); everyone else reads what went wrong in general, and the log
    keeps the details."""
    if exc.code not in _CONFIGURATION or detailed():
        return exc.message
    note(error_detail=exc.message)
    return "This site could not load the key it reads this channel with; its owner can see why."
