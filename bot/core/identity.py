"""Identity from the host site: the customer id signed with the server's secret; and the
token that binds a rating to the conversation that received the answer.

The site that embeds the widget (or calls the REST channel) sends
`customer_id` and `identifier_hash = hex(HMAC-SHA256(secret, customer_id))`,
as Chatwoot's identity validation does. Only a holder of the secret can make
the hash, so a matching one proves the site vouches for the customer.
"""

from __future__ import annotations

import hashlib
import hmac


def identity_hash(secret: str, customer_id: str) -> str:
    """Lowercase hex HMAC-SHA256 of `customer_id` under `secret`."""
    return hmac.new(secret.encode("utf-8"), customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_identity(secret: str, customer_id: str, given: str) -> bool:
    """Whether `given` is the hash of `customer_id`; constant time. An empty secret verifies nothing."""
    if not secret or not customer_id or not given:
        return False
    expected = identity_hash(secret, customer_id)
    return hmac.compare_digest(expected, given.strip().lower())


def answer_token(key: bytes, conversation_id: str, seq: int) -> str:
    """The token a client gets with answer `seq` of a conversation, to rate that answer."""
    message = f"{conversation_id}\n{seq}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def verify_answer_token(key: bytes, conversation_id: str, seq: int, given: str) -> bool:
    """Whether `given` is the token of answer `seq` of the conversation; constant time."""
    if not given.isascii():
        return False
    return hmac.compare_digest(answer_token(key, conversation_id, seq), given)
