"""Amazon SNS deliveries: how S3 event notifications reach ``/webhooks/s3`` over HTTP.

S3 cannot call an HTTP endpoint itself; it notifies an SNS topic, and an HTTPS subscription of
that topic POSTs to us with ``x-amz-sns-message-type`` saying what the body is:

- ``Notification``: an S3 event in SNS's envelope (or bare, with raw message delivery). It is
  published unchanged like any webhook; the s3 adapter unwraps the envelope.
- ``SubscriptionConfirmation``: SNS asks the endpoint to prove it wants the messages by fetching
  ``SubscribeURL``. **We do not fetch it.** The URL comes from a request body, and a server that
  fetches URLs it is sent can be made to call anything its network reaches (SSRF); verifying
  SNS's signature first would itself mean fetching the signing certificate the message names.
  The request is authenticated by the shared secret in the subscription URL (Basic auth), not by
  SNS's signature, so a human confirms instead: the TopicArn and the command that confirms it
  are logged at WARNING, the answer is 200 and nothing is published. The confirmation token is
  logged with it on purpose: it is short-lived (3 days) and only confirms delivery of that topic
  to this endpoint, which is what the operator asked for; it opens nothing in lineage or in AWS.
- ``UnsubscribeConfirmation``: logged, answered 200, nothing published.

Only ``TopicArn`` and ``Token`` of a well-formed shape are ever logged, never the message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from lineage.errors import SnsMessageError

log = logging.getLogger(__name__)

MESSAGE_TYPE_HEADER = "x-amz-sns-message-type"
NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

# What a real value looks like; anything else stays out of the log (no injected lines).
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]{1,32}:[0-9]{12}:[A-Za-z0-9_.-]{1,256}")
_TOKEN = re.compile(r"[A-Za-z0-9]{1,2048}")


def sns_message_type(headers: Mapping[str, str]) -> str | None:
    """The SNS message type of a delivery, or None when SNS did not send it."""
    kind = headers.get(MESSAGE_TYPE_HEADER)
    return kind.strip() if kind is not None else None


def control_message_note(kind: str, document: Any) -> str | None:
    """None for a ``Notification`` (publish it); for SNS's own messages, log them, return a note.

    Raises :class:`SnsMessageError` for a type SNS does not send.
    """
    if kind == NOTIFICATION:
        return None
    if kind == SUBSCRIPTION_CONFIRMATION:
        return _log_subscription_confirmation(document)
    if kind == UNSUBSCRIBE_CONFIRMATION:
        log.info("SNS confirmed that %s no longer delivers here", _field(document, "TopicArn", _TOPIC_ARN))
        return "SNS unsubscribe confirmation noted; nothing published"
    raise SnsMessageError(
        f"{MESSAGE_TYPE_HEADER} is not {NOTIFICATION}, {SUBSCRIPTION_CONFIRMATION} "
        f"or {UNSUBSCRIBE_CONFIRMATION}"
    )


def _log_subscription_confirmation(document: Any) -> str:
    topic = _field(document, "TopicArn", _TOPIC_ARN)
    token = _field(document, "Token", _TOKEN)
    log.warning(
        "SNS asks to confirm that %s may deliver S3 notifications here; lineage does not fetch "
        "SubscribeURL. Confirm it with `aws sns confirm-subscription --topic-arn %s --token %s`, "
        "or in the AWS console (Amazon SNS > Subscriptions > the pending subscription).",
        topic,
        topic,
        token,
    )
    return "SNS subscription confirmation logged for an operator to confirm; nothing published"


def _field(document: Any, name: str, shape: re.Pattern[str]) -> str:
    value = document.get(name) if isinstance(document, dict) else None
    if isinstance(value, str) and shape.fullmatch(value):
        return value
    return f"<no well-formed {name}>"
