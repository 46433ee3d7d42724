"""What the alert tests share: the stage's alert resources, made in moto as
`deploy.alerts setup` makes them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import boto3
import pytest

from chalicelib.alerts.dynamo_store import DynamoStore
from deploy.alerts import ensure_table, ensure_vapid
from tests.conftest import REGION

SUBJECT = "mailto:alerts@example.com"
GARDEN = """
[[dashboard]]
name = "garden"
channel = 1014
title = "Garden"
stale_after_minutes = 30
  [[dashboard.field]]
  number = 1
  label = "Temperature"
  convert = "c_to_f"
  [[dashboard.alert]]
  field = 1
  below = 32.0
  clear_at = 34.0
"""


@dataclass
class Aws:
    """The stage's alert resources in moto, as `deploy.alerts setup` makes them."""

    table: str
    topic_arn: str
    vapid_param: str
    public_key: str
    queue_url: str

    @classmethod
    def make(cls) -> Aws:
        name = f"alerts-{uuid.uuid4().hex[:8]}"
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        ensure_table(dynamodb, name)
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name=name)["TopicArn"]
        queue = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
        param = f"/glance-test/{name}/vapid"
        public, _ = ensure_vapid(boto3.client("ssm", region_name=REGION), param)
        DynamoStore(name, dynamodb).set_public_key(public)
        return cls(name, topic, param, public, queue)

    def private_key(self) -> str:
        ssm = boto3.client("ssm", region_name=REGION)
        value: str = ssm.get_parameter(Name=self.vapid_param, WithDecryption=True)["Parameter"][
            "Value"
        ]
        return value

    def emails(self) -> list[str]:
        """What the topic published since the last call (each message read once)."""
        sqs = boto3.client("sqs", region_name=REGION)
        found = []
        while True:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return found
            for message in messages:
                body = json.loads(message["Body"])
                found.append(f"{body['Subject']} | {body['Message']}")
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def stage(aws: boto3.Session) -> Aws:
    """The alert resources of a stage, in the moto that `aws` started."""
    return Aws.make()
