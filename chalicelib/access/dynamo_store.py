"""Passkeys and invitations in DynamoDB (the layout is in store.py)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from chalicelib.access.store import (
    AccessStoreError,
    Invitation,
    Passkey,
    dashboards_of,
    dashboards_text,
)

PASSKEY = "passkey"
INVITE = "invite"


class DynamoAccessStore:
    def __init__(self, table: str, client: Any = None) -> None:
        self.table = table
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    connect_timeout=3,
                    read_timeout=5,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                self._client = boto3.client("dynamodb", config=config)
            return self._client

    def passkey(self, passkey_id: str) -> Passkey | None:
        key = {"pk": {"S": PASSKEY}, "sk": {"S": passkey_id}}
        item = self._call("read a passkey", "get_item", Key=key, ConsistentRead=True).get("Item")
        return _passkey(item) if item else None

    def passkeys(self) -> list[Passkey]:
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {}
        while True:
            answer = self._call(
                "list the passkeys",
                "query",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": PASSKEY}},
                ConsistentRead=True,
                **page,
            )
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                break
            page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
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
        from botocore.exceptions import ClientError

        key = {"pk": {"S": PASSKEY}, "sk": {"S": passkey_id}}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression="SET last_used = :now",
                ConditionExpression="attribute_exists(pk)",  # never bring a revoked one back
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise AccessStoreError(self._explain("note a passkey's use", exc)) from None

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
        from botocore.exceptions import ClientError

        key = {"pk": {"S": INVITE}, "sk": {"S": token_hash}}
        try:
            answer = self.client.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression="attribute_exists(pk) AND expires > :now",
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise AccessStoreError(self._explain("use an invitation", exc)) from None
        except Exception as exc:
            raise AccessStoreError(f"Could not use an invitation ({type(exc).__name__}).") from None
        item = answer.get("Attributes")
        return _invitation(item) if item else None

    def _call(self, action: str, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            raise AccessStoreError(self._explain(action, exc)) from None
        except Exception as exc:
            raise AccessStoreError(f"Could not {action} ({type(exc).__name__}).") from None

    def _explain(self, action: str, exc: Any) -> str:
        code = exc.response.get("Error", {}).get("Code", "error")
        if code == "ResourceNotFoundException":
            return (
                f"The table {self.table} does not exist in this region: run "
                "python -m deploy.access setup."
            )
        return f"DynamoDB refused to {action} in {self.table} ({code})."


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
