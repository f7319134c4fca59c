"""Identity from the host site: HMAC-SHA256 of the customer id under the server's secret."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.core.identity import identity_hash, verify_identity


def test_hash_is_hex_hmac_sha256_as_chatwoot_computes_it() -> None:
    expected = hmac.new(b"s3cret", b"C00001", hashlib.sha256).hexdigest()

    assert identity_hash("s3cret", "C00001") == expected
    assert len(expected) == 64


def test_the_right_hash_verifies_in_any_case() -> None:
    given = identity_hash("s3cret", "C00001")

    assert verify_identity("s3cret", "C00001", given)
    assert verify_identity("s3cret", "C00001", given.upper())


@pytest.mark.parametrize(
    ("secret", "customer_id", "given"),
    [
        pytest.param("s3cret", "C00002", identity_hash("s3cret", "C00001"), id="other-customer"),
        pytest.param("s3cret", "C00001", identity_hash("other", "C00001"), id="other-secret"),
        pytest.param("", "C00001", identity_hash("", "C00001"), id="empty-secret-disables"),
        pytest.param("s3cret", "C00001", "", id="no-hash"),
        pytest.param("s3cret", "", identity_hash("s3cret", ""), id="no-customer"),
        pytest.param("s3cret", "C00001", "deadbeef", id="truncated"),
    ],
)
def test_anything_else_does_not_verify(secret: str, customer_id: str, given: str) -> None:
    assert not verify_identity(secret, customer_id, given)
