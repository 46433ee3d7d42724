"""Where passkeys and invitations live: the interface both stores keep (dynamo_store.py in
AWS, sqlite_store.py on a laptop), and which one the environment names.

DynamoDB (`ACCESS_TABLE`: the alerts table when the stage has one, keys `pk`/`sk`, TTL on
`expires`):
- `passkey` / `<passkey id>`: a passkey (its credential: id and public key), its label,
  the dashboards it may see (`*`: all), when it was created and last used.
- `invite` / `<sha256 of the token>`: an invitation; the token itself is never stored.
  Expires (and DynamoDB deletes it) 15 minutes after it was made; taking it deletes it.
The web function reaches only these two partitions; `check_alerts` may only list passkeys
(a revoked passkey's push subscriptions are skipped).

Locally (`ACCESS_DB`): the same in one SQLite file, with the session secret beside them
(in AWS the secret is the SSM SecureString named by SESSION_SECRET_PARAM).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

INVITATION_SECONDS = 15 * 60


class AccessStoreError(Exception):
    """The store could not be read or written; one line, without any secret."""


@dataclass(frozen=True)
class Passkey:
    id: str
    credential: bytes  # fido2's AttestedCredentialData: credential id and public key
    label: str
    dashboards: tuple[str, ...] | None  # None: every dashboard
    created: int
    last_used: int


@dataclass(frozen=True)
class Invitation:
    token_hash: str
    label: str
    dashboards: tuple[str, ...] | None
    expires: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def dashboards_text(dashboards: tuple[str, ...] | None) -> str:
    return "*" if dashboards is None else ",".join(dashboards)


def dashboards_of(text: str) -> tuple[str, ...] | None:
    return None if text == "*" else tuple(filter(None, text.split(",")))


class AccessStore(Protocol):
    def passkey(self, passkey_id: str) -> Passkey | None: ...

    def passkeys(self) -> list[Passkey]: ...

    def add_passkey(self, passkey: Passkey) -> None: ...

    def touch(self, passkey_id: str, now: float) -> None: ...

    def remove_passkey(self, passkey_id: str) -> bool: ...

    def add_invitation(self, invitation: Invitation) -> None: ...

    def invitation(self, token_hash: str, now: float) -> Invitation | None:
        """A valid invitation, left in place (showing the page does not use it up)."""
        ...

    def take_invitation(self, token_hash: str, now: float) -> Invitation | None:
        """The invitation, deleted in the same step: of two requests only one gets it."""
        ...


def access_store(env: Mapping[str, str]) -> AccessStore | None:
    """ACCESS_TABLE (DynamoDB), else ACCESS_DB (a SQLite file, local only), else None."""
    table = env.get("ACCESS_TABLE", "").strip()
    local = env.get("ACCESS_DB", "").strip()
    if table and local:
        raise AccessStoreError("ACCESS_TABLE and ACCESS_DB are both set: choose one.")
    return _store(table, local) if table or local else None


@lru_cache(maxsize=8)
def _store(table: str, local: str) -> AccessStore:
    if table:
        from chalicelib.access.dynamo_store import DynamoAccessStore

        return DynamoAccessStore(table)
    from chalicelib.access.sqlite_store import SqliteAccessStore

    return SqliteAccessStore(local)
