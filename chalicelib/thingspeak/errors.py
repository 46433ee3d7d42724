"""What can go wrong reading ThingSpeak, as one small hierarchy.

Each error carries a stable `code` (for JSON clients and logs) and a `message` a person
can act on. Which HTTP status each one becomes is decided in one place:
`web/responses.py` (`status_for`).
Messages never include the read key or ThingSpeak's raw error body.
"""

from __future__ import annotations


class ThingSpeakError(Exception):
    code = "thingspeak_error"
    title = "ThingSpeak could not be read"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReadKeyRequired(ThingSpeakError):
    """ThingSpeak answered 400 with body -1: the channel is private or the key is wrong."""

    code = "read_api_key_required"
    title = "This channel needs a read API key"


class ChannelNotFound(ThingSpeakError):
    code = "channel_not_found"
    title = "Channel not found"


class UpstreamUnavailable(ThingSpeakError):
    """ThingSpeak refused the connection or answered with an error status."""

    code = "thingspeak_unavailable"
    title = "ThingSpeak is not answering properly"


class RateLimited(UpstreamUnavailable):
    code = "thingspeak_rate_limited"
    title = "ThingSpeak asked us to slow down"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MalformedResponse(ThingSpeakError):
    code = "thingspeak_malformed"
    title = "ThingSpeak sent something that is not a channel feed"


class UpstreamTimeout(ThingSpeakError):
    code = "thingspeak_timeout"
    title = "ThingSpeak did not answer in time"


class ReadKeyUnavailable(ThingSpeakError):
    """The read key's SSM parameter is missing or this function may not read it."""

    code = "read_api_key_unavailable"
    title = "The read API key could not be loaded"
