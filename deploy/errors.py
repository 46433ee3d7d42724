"""One failure type whose message is the single line the CLI prints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)


class DeployError(Exception):
    """Something the person deploying must fix; str() says what to do."""


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn the AWS failures anyone can hit into one line that says what to do."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise DeployError(
            "No AWS credentials found: run `aws configure` (or set AWS_PROFILE) and try again."
        ) from None
    except NoRegionError:
        raise DeployError(
            "No AWS region set: pass --region or set AWS_DEFAULT_REGION, then try again."
        ) from None
    except EndpointConnectionError as exc:
        raise DeployError(f"Could not reach AWS while trying to {action}: {exc}.") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeployError(
            f"AWS refused to {action}: {error.get('Code', 'error')}: {error.get('Message', '')}"
        ) from None
    except BotoCoreError as exc:  # anything else botocore raises: still one line, no traceback
        raise DeployError(f"Could not {action}: {exc}.") from None


def call[T](action: str, fn: Callable[[], T]) -> T:
    with aws_errors(action):
        return fn()
