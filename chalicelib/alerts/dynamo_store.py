"""Alert state and push subscriptions in one DynamoDB table (the layout is in store.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from chalicelib.alerts.store import (
    DAY,
    MAX_SUBSCRIPTIONS,
    SUBSCRIPTION_DAYS,
    Record,
    StoreError,
    Subscribed,
    Unsubscribed,
    state_json,
    state_of,
    subscription_id,
)
from chalicelib.alerts.subscriptions import Subscription
from chalicelib.aws.dynamo import DynamoTable

COUNTER = "#count"  # sk of each dashboard's subscription counter


class DynamoStore(DynamoTable):
    error: ClassVar[type[Exception]] = StoreError
    kind = "alerts table"
    setup = "python -m deploy.alerts setup"

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
        done = self._call(
            "write an alert state", "put_item", conditional=True, Item=item, **condition
        )
        return done is not None

    def subscriptions(self, dashboard: str, now: float) -> list[Subscription]:
        items = self._query(f"subs#{dashboard}", "read push subscriptions")
        # TTL deletes lazily (within days), so an expired item can still be listed.
        return [
            Subscription(
                i["endpoint"]["S"],
                i["p256dh"]["S"],
                i["auth"]["S"],
                i["owner"]["S"] if "owner" in i else None,
            )
            for i in items
            if "endpoint" in i and int(i["expires"]["N"]) > now
        ]

    def subscribe(self, dashboard: str, subscription: Subscription, now: float) -> Subscribed:
        pk = f"subs#{dashboard}"
        item = {
            "pk": {"S": pk},
            "sk": {"S": subscription_id(subscription.endpoint)},
            "endpoint": {"S": subscription.endpoint},
            "p256dh": {"S": subscription.p256dh},
            "auth": {"S": subscription.auth},
            "expires": {"N": str(int(now) + SUBSCRIPTION_DAYS * DAY)},
        }
        if subscription.owner:
            item["owner"] = {"S": subscription.owner}
        # A known endpoint is renewed only with its own auth secret.
        known = {
            "ConditionExpression": "attribute_exists(pk) AND #auth = :auth",
            "ExpressionAttributeNames": {"#auth": "auth"},  # a reserved word
            "ExpressionAttributeValues": {":auth": {"S": subscription.auth}},
        }
        if self._call(
            "renew a push subscription", "put_item", conditional=True, Item=item, **known
        ):
            return "renewed"
        key = {"pk": item["pk"], "sk": item["sk"]}
        # Only whether it exists: the web function never reads another browser's keys.
        found = self._call(
            "read a push subscription",
            "get_item",
            Key=key,
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        if found.get("Item"):
            return "not_yours"
        for _ in range(3):
            outcome = self._add(item, pk)
            if outcome != "recount":
                return outcome
            if not self._recount(pk, now):
                return "full"
        return "full"

    def _add(self, item: dict[str, Any], pk: str) -> Subscribed | Literal["recount"]:
        """The item and the dashboard's counter in one transaction: the cap is atomic."""
        counter = {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": {"S": pk}, "sk": {"S": COUNTER}},
                "UpdateExpression": "SET n = if_not_exists(n, :zero) + :one",
                "ConditionExpression": "attribute_not_exists(n) OR n < :max",
                "ExpressionAttributeValues": {
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":max": {"N": str(MAX_SUBSCRIPTIONS)},
                },
            }
        }
        put = {
            "Put": {
                "TableName": self.table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        reasons = self._transact("add a push subscription", [counter, put])
        if reasons is None:
            return "created"
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            return "renewed"  # the same browser, twice at once: the other request added it
        return "recount" if reasons[:1] == ["ConditionalCheckFailed"] else "full"

    def _recount(self, pk: str, now: float) -> bool:
        """The counter says full: expired subscriptions (TTL deletes them without telling
        the counter) may have left it high. Set it to the real count, if no one changed it
        meanwhile; True if that leaves room."""
        seen = self._call(
            "count push subscriptions",
            "get_item",
            Key={"pk": {"S": pk}, "sk": {"S": COUNTER}},
            ConsistentRead=True,
            ProjectionExpression="n",
        ).get("Item")
        live = self._count(pk, now)  # the counter has no expiry, so it is not among them
        if live >= MAX_SUBSCRIPTIONS or seen is None:
            return False
        self._call(
            "count push subscriptions",
            "update_item",
            conditional=True,  # someone else changed it: theirs stands
            Key={"pk": {"S": pk}, "sk": {"S": COUNTER}},
            UpdateExpression="SET n = :real",
            ConditionExpression="n = :seen",
            ExpressionAttributeValues={":real": {"N": str(live)}, ":seen": seen["n"]},
        )
        return True

    def unsubscribe(
        self, dashboard: str, endpoint: str, auth: str | None = None
    ) -> Unsubscribed | None:
        pk = f"subs#{dashboard}"
        key = {"pk": {"S": pk}, "sk": {"S": subscription_id(endpoint)}}
        # Whether it exists, and the auth secret compared by DynamoDB, not read back: the
        # web function never sees a subscription's keys.
        found = self._call(
            "read a push subscription",
            "get_item",
            Key=key,
            ConsistentRead=True,
            ProjectionExpression="pk",
        ).get("Item")
        if found is None:
            return "unknown"
        refused: Unsubscribed = "not_yours" if auth is not None else "unknown"
        delete: dict[str, Any] = {"Key": key, "ConditionExpression": "attribute_exists(pk)"}
        if auth is not None:
            delete["ConditionExpression"] = "#auth = :auth"
            delete["ExpressionAttributeNames"] = {"#auth": "auth"}
            delete["ExpressionAttributeValues"] = {":auth": {"S": auth}}
        counter = {
            "TableName": self.table,
            "Key": {"pk": {"S": pk}, "sk": {"S": COUNTER}},
            "UpdateExpression": "SET n = n - :one",
            "ConditionExpression": "n > :zero",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"}},
        }
        action = "remove a push subscription"
        items = [{"Delete": {"TableName": self.table, **delete}}, {"Update": counter}]
        reasons = self._transact(action, items)
        if reasons is None:
            return "removed"
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return refused
        # No counter (a subscription from before it existed): delete it on its own.
        if self._call(action, "delete_item", conditional=True, **delete) is None:
            return refused
        return "removed"

    def public_key(self) -> str | None:
        key = {"pk": {"S": "meta"}, "sk": {"S": "vapid"}}
        answer = self._call("read the push key", "get_item", Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return str(item["public_key"]["S"]) if item else None

    def set_public_key(self, key: str) -> None:
        item = {"pk": {"S": "meta"}, "sk": {"S": "vapid"}, "public_key": {"S": key}}
        self._call("store the push key", "put_item", Item=item)

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


def _record(item: Mapping[str, Any]) -> Record:
    return Record(
        state=state_of(item["state"]["S"]),
        version=int(item["version"]["N"]),
        outbox=item["outbox"]["S"] if "outbox" in item else None,
        lease_until=float(item.get("lease_until", {}).get("N", "0")),
        expires=int(item.get("expires", {}).get("N", "0")),
    )
