"""Passkeys and invitations in DynamoDB (the layout is in store.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from chalicelib.access.store import (
    AccessStoreError,
    Invitation,
    Passkey,
    dashboards_of,
    dashboards_text,
)
from chalicelib.aws.dynamo import DynamoTable

PASSKEY = "passkey"
INVITE = "invite"


class DynamoAccessStore(DynamoTable):
    error: ClassVar[type[Exception]] = AccessStoreError
    setup = "python -m deploy.access setup"

    def passkey(self, passkey_id: str) -> Passkey | None:
        key = {"pk": {"S": PASSKEY}, "sk": {"S": passkey_id}}
        item = self._call("read a passkey", "get_item", Key=key, ConsistentRead=True).get("Item")
        return _passkey(item) if item else None

    def passkeys(self) -> list[Passkey]:
        items = self._query(PASSKEY, "list the passkeys")
        return sorted((_passkey(i) for i in items), key=lambda p: p.created)

    def add_passkey(self, passkey: Passkey) -> None:
        item = {
            "pk": {"S": PASSKEY},
            "sk": {"S": passkey.id},
            "credential": {"B": passkey.credential},
            "label": {"S": passkey.label},
            "dashboards": {"S": dashboards_text(passkey.dashboards)},
            "created": {"N": str(passkey.created)},
            "last_used": {"N": str(passkey.last_used)},
        }
        self._call("store a passkey", "put_item", Item=item)

    def touch(self, passkey_id: str, now: float) -> None:
        self._call(
            "note a passkey's use",
            "update_item",
            conditional=True,  # never bring a revoked one back
            Key={"pk": {"S": PASSKEY}, "sk": {"S": passkey_id}},
            UpdateExpression="SET last_used = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )

    def remove_passkey(self, passkey_id: str) -> bool:
        key = {"pk": {"S": PASSKEY}, "sk": {"S": passkey_id}}
        answer = self._call("remove a passkey", "delete_item", Key=key, ReturnValues="ALL_OLD")
        return bool(answer.get("Attributes"))

    def add_invitation(self, invitation: Invitation) -> None:
        item = {
            "pk": {"S": INVITE},
            "sk": {"S": invitation.token_hash},
            "label": {"S": invitation.label},
            "dashboards": {"S": dashboards_text(invitation.dashboards)},
            "expires": {"N": str(invitation.expires)},
        }
        self._call("store an invitation", "put_item", Item=item)

    def invitation(self, token_hash: str, now: float) -> Invitation | None:
        key = {"pk": {"S": INVITE}, "sk": {"S": token_hash}}
        item = self._call("read an invitation", "get_item", Key=key, ConsistentRead=True).get(
            "Item"
        )
        found = _invitation(item) if item else None
        return found if found and found.expires > now else None

    def take_invitation(self, token_hash: str, now: float) -> Invitation | None:
        answer = self._call(
            "use an invitation",
            "delete_item",
            conditional=True,  # used, expired or never made: no invitation
            Key={"pk": {"S": INVITE}, "sk": {"S": token_hash}},
            ConditionExpression="attribute_exists(pk) AND expires > :now",
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
            ReturnValues="ALL_OLD",
        )
        item = answer.get("Attributes") if answer else None
        return _invitation(item) if item else None


def _passkey(item: Mapping[str, Any]) -> Passkey:
    return Passkey(
        id=item["sk"]["S"],
        credential=bytes(item["credential"]["B"]),
        label=item.get("label", {}).get("S", ""),
        dashboards=dashboards_of(item.get("dashboards", {}).get("S", "*")),
        created=int(item.get("created", {}).get("N", "0")),
        last_used=int(item.get("last_used", {}).get("N", "0")),
    )


def _invitation(item: Mapping[str, Any]) -> Invitation:
    return Invitation(
        token_hash=item["sk"]["S"],
        label=item.get("label", {}).get("S", ""),
        dashboards=dashboards_of(item.get("dashboards", {}).get("S", "*")),
        expires=int(item.get("expires", {}).get("N", "0")),
    )
