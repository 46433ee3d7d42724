"""The one stale-if-error and back-off policy, for the day's feed and the longer ranges.

After a failed read, ThingSpeak is not asked again before the cache's own window has
passed, or its Retry-After when it sent one (within reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.thingspeak.errors import RateLimited, ThingSpeakError

# Upper bound on how long a 429's Retry-After can silence us: a glance page that stays
# stale for an hour because of one odd header is worse than one more attempt.
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class Failure:
    """The last failed read and when ThingSpeak may be asked again."""

    error: ThingSpeakError
    retry_at: float

    @classmethod
    def after(cls, error: ThingSpeakError, now: float, window: float) -> Failure:
        return cls(error, now + retry_delay(error, window))

    def waiting(self, now: float) -> bool:
        return now < self.retry_at


def retry_delay(error: ThingSpeakError, window: float) -> float:
    if isinstance(error, RateLimited) and error.retry_after:
        return min(max(window, error.retry_after), MAX_BACKOFF_SECONDS)
    return window
