"""BALCAO_TRUSTED_PROXIES: X-Forwarded-For / Forwarded is believed from a trusted proxy only,
for per-address limits and the login throttle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings
from bot.errors import ConfigError
from channels.proxies import client_address, parse_networks

PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8, ::1")


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("203.0.113.9", {"X-Forwarded-For": "1.2.3.4"}, "203.0.113.9"),
        ("127.0.0.1", {"X-Forwarded-For": "1.2.3.4"}, "1.2.3.4"),
        ("127.0.0.1", {"X-Forwarded-For": "6.6.6.6, 1.2.3.4, 10.1.1.1"}, "1.2.3.4"),
        ("127.0.0.1", {"Forwarded": 'for=1.2.3.4;proto=https, for="[2001:db8::1]:443"'}, "2001:db8::1"),
        ("127.0.0.1", {"Forwarded": "for=198.51.100.7:8080"}, "198.51.100.7"),
        ("127.0.0.1", {"X-Forwarded-For": "10.0.0.2, 10.0.0.3"}, "10.0.0.2"),
        ("127.0.0.1", {"X-Forwarded-For": "1.2.3.4, garbage"}, "127.0.0.1"),
        ("127.0.0.1", {}, "127.0.0.1"),
    ],
    ids=["untrusted-peer-ignored", "trusted-peer", "spoofed-left-hops-ignored", "forwarded-v6",
         "forwarded-port", "all-trusted-leftmost", "unreadable-hop", "no-header"],
)  # fmt: skip
def test_client_address(peer: str, headers: dict[str, str], expected: str) -> None:
    assert client_address(peer, headers, PROXIES) == expected


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("127.0.0.1", {"X-Forwarded-For": "1.2.3.4"}, ()) == "127.0.0.1"


def test_a_bad_entry_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="'nonsense' is not an address or CIDR"):
        parse_networks("10.0.0.0/8, nonsense")


@pytest.mark.parametrize("trusted", [True, False], ids=["behind-trusted-proxy", "direct"])
async def test_per_address_message_limit_counts_the_forwarded_client(
    aiohttp_client: Any, make_settings: Callable[..., Settings], trusted: bool
) -> None:
    settings = make_settings(
        trusted_proxies="127.0.0.1,::1" if trusted else "", ip_messages_per_minute=2
    )
    client = await aiohttp_client(create_app(settings))

    async def send(sender: str, forwarded: str) -> int:
        resp = await client.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": "hello"},
            headers={"X-Forwarded-For": forwarded},
        )
        return resp.status

    first = [await send(f"a{i}", "1.2.3.4") for i in range(3)]
    other = await send("b0", "5.6.7.8")
    assert first == [200, 200, 429]
    # behind a trusted proxy another client has its own allowance; direct, the header is a lie
    assert other == (200 if trusted else 429)


async def test_login_throttle_counts_the_forwarded_client(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(trusted_proxies="127.0.0.1,::1", login_attempts_per_address=3)
    client = await aiohttp_client(create_app(settings))

    async def login(n: int, forwarded: str) -> int:
        resp = await client.post(
            "/api/auth/login",
            json={"email": f"guess{n}@shop.example", "password": "wrong password here"},
            headers={"X-Forwarded-For": forwarded},
        )
        return resp.status

    assert [await login(n, "1.2.3.4") for n in range(4)] == [401, 401, 401, 429]
    assert await login(9, "5.6.7.8") == 401  # a different customer behind the same proxy
