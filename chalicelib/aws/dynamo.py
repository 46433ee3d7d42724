"""One DynamoDB table as the stores use it: a client made once per container, and calls
whose failures become the store's own error, worded with the command that fixes them."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoTable:
    error: ClassVar[type[Exception]] = Exception
    # How a missing table is named, and the command that creates it.
    kind: ClassVar[str] = "table"
    setup: ClassVar[str] = ""

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

    def _call(
        self, action: str, operation: str, *, conditional: bool = False, **kwargs: Any
    ) -> Any:
        """The operation on this table. conditional: a ConditionExpression that does not
        hold is an answer (None), not an error."""
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            if conditional and _code(exc) == CONDITION_FAILED:
                return None
            raise self.error(self._explain(action, exc)) from None
        except Exception as exc:  # botocore's own errors (connection, timeout)
            raise self.error(
                f"Could not {action} in {self.table} ({type(exc).__name__})."
            ) from None

    def _transact(self, action: str, items: list[dict[str, Any]]) -> list[str | None] | None:
        """All the writes or none: None when done, else why each was cancelled
        ("ConditionalCheckFailed", "None", ...), in the order given."""
        from botocore.exceptions import ClientError

        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise self.error(self._explain(action, exc)) from None
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if not reasons and "ConditionalCheckFailed" in str(exc.response.get("Error", {})):
                reasons = ["ConditionalCheckFailed"]  # a client that names no reasons
            return reasons
        except Exception as exc:
            raise self.error(
                f"Could not {action} in {self.table} ({type(exc).__name__})."
            ) from None
        return None

    def _query(self, pk: str, action: str) -> list[dict[str, Any]]:
        """Every item of a partition, page after page."""
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

    def _explain(self, action: str, exc: Any) -> str:
        code = _code(exc) or "error"
        if code == "ResourceNotFoundException":
            return f"The {self.kind} {self.table} does not exist in this region: run {self.setup}."
        return f"DynamoDB refused to {action} in {self.table} ({code})."


def _code(exc: Any) -> str | None:
    code = exc.response.get("Error", {}).get("Code")
    return str(code) if code is not None else None
