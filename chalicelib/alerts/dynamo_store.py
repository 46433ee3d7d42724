"""Alert state and push subscriptions in one DynamoDB table (the layout is in store.py)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from chalicelib.alerts.store import (
    DAY,
    MAX_SUBSCRIPTIONS,
    SUBSCRIPTION_DAYS,
    Record,
    StoreError,
    Subscribed,
    state_json,
    state_of,
    subscription_id,
)
from chalicelib.alerts.subscriptions import Subscription


class DynamoStore:
    def __init__(self, table: str, client: Any = None) -> None:
        self.table = table
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:  # boto3 clients are thread-safe; creating them is not
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

    def records(self, dashboard: str) -> dict[str, Record]:
        items = self._query(f"alert#{dashboard}", "read alert states")
        return {item["sk"]["S"]: _record(item) for item in items}

    def swap(self, dashboard: str, key: str, old: Record, new: Record) -> bool:
        item: dict[str, Any] = {
            "pk": {"S": f"alert#{dashboard}"},
            "sk": {"S": key},
            "state": {"S": state_json(new)},
            "version": {"N": str(new.version)},
            "lease_until": {"N": repr(new.lease_until)},
            "expires": {"N": str(new.expires)},
        }
        if new.outbox is not None:
            item["outbox"] = {"S": new.outbox}
        if old.version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :seen",
                "ExpressionAttributeValues": {":seen": {"N": str(old.version)}},
            }
        return self._put(item, condition, "write an alert state")

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]:
        items = self._query(f"subs#{dashboard}", "read push subscriptions")
        # TTL deletes lazily (within days), so an expired item can still be listed.
        return [
            Subscription(i["endpoint"]["S"], i["p256dh"]["S"], i["auth"]["S"])
            for i in items
            if int(i["expires"]["N"]) > now
        ]

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed:
        item = {
            "pk": {"S": f"subs#{dashboard}"},
            "sk": {"S": subscription_id(subscription.endpoint)},
            "endpoint": {"S": subscription.endpoint},
            "p256dh": {"S": subscription.p256dh},
            "auth": {"S": subscription.auth},
            "expires": {"N": str(int(now) + SUBSCRIPTION_DAYS * DAY)},
        }
        known = {"ConditionExpression": "attribute_exists(pk)"}
        if self._put(item, known, "renew a push subscription"):
            return "renewed"
        if self._count(f"subs#{dashboard}", now) >= MAX_SUBSCRIPTIONS:
            return "full"
        new = {"ConditionExpression": "attribute_not_exists(pk)"}
        if self._put(item, new, "add a push subscription"):
            return "created"
        return "renewed"  # the same browser, twice at once: the other request added it

    def unsubscribe(self, dashboard: str, endpoint: str) -> None:
        key = {"pk": {"S": f"subs#{dashboard}"}, "sk": {"S": subscription_id(endpoint)}}
        self._call("remove a push subscription", "delete_item", Key=key)

    def public_key(self) -> str | None:
        key = {"pk": {"S": "meta"}, "sk": {"S": "vapid"}}
        answer = self._call("read the push key", "get_item", Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return str(item["public_key"]["S"]) if item else None

    def set_public_key(self, key: str) -> None:
        item = {"pk": {"S": "meta"}, "sk": {"S": "vapid"}, "public_key": {"S": key}}
        self._call("store the push key", "put_item", Item=item)

    def _query(self, pk: str, action: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {}
        while True:
            answer = self._call(
                action,
                "query",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ConsistentRead=True,
                **page,
            )
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return items
            page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}

    def _count(self, pk: str, now: float) -> int:
        """How many unexpired items: Select=COUNT returns no item, so the web function's
        policy lets it count subscriptions without reading their endpoints and keys."""
        total = 0
        page: dict[str, Any] = {}
        while True:
            answer = self._call(
                "count push subscriptions",
                "query",
                KeyConditionExpression="pk = :pk",
                FilterExpression="expires > :now",
                ExpressionAttributeValues={":pk": {"S": pk}, ":now": {"N": str(int(now))}},
                Select="COUNT",
                ConsistentRead=True,
                **page,
            )
            total += int(answer.get("Count", 0))
            if "LastEvaluatedKey" not in answer:
                return total
            page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}

    def _put(self, item: dict[str, Any], condition: dict[str, Any], action: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StoreError(self._explain(action, exc)) from None
        except Exception as exc:  # botocore's own errors (connection, timeout)
            raise StoreError(
                f"Could not {action} in {self.table} ({type(exc).__name__})."
            ) from None
        return True

    def _call(self, action: str, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            raise StoreError(self._explain(action, exc)) from None
        except Exception as exc:
            raise StoreError(
                f"Could not {action} in {self.table} ({type(exc).__name__})."
            ) from None

    def _explain(self, action: str, exc: Any) -> str:
        code = exc.response.get("Error", {}).get("Code", "error")
        if code == "ResourceNotFoundException":
            return (
                f"The alerts table {self.table} does not exist in this region: run "
                "python -m deploy.alerts setup."
            )
        return f"DynamoDB refused to {action} in {self.table} ({code})."


def _record(item: Mapping[str, Any]) -> Record:
    return Record(
        state=state_of(item["state"]["S"]),
        version=int(item["version"]["N"]),
        outbox=item["outbox"]["S"] if "outbox" in item else None,
        lease_until=float(item.get("lease_until", {}).get("N", "0")),
        expires=int(item.get("expires", {}).get("N", "0")),
    )
