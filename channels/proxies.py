"""The client's address behind trusted reverse proxies (BALCAO_TRUSTED_PROXIES).

A request from a trusted proxy (an address or CIDR in the setting) carries the client's
address in `Forwarded: for=...` (RFC 7239) or `X-Forwarded-For`. The chain is read from the
right (the hop nearest to us) past every trusted proxy; the first untrusted address is the
client. A request from anywhere else is its own peer: a client cannot forge its address by
sending the header itself.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping, Sequence

from bot.errors import ConfigError

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """'10.0.0.1, 192.168.0.0/16, ::1' -> networks; a bad entry is a ConfigError."""
    networks: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"BALCAO_TRUSTED_PROXIES: '{item}' is not an address or CIDR (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = text.strip().strip('"')
    if value.startswith("["):  # [v6]:port
        value = value[1 : value.find("]")] if "]" in value else value
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: str | None, networks: Sequence[Network]) -> bool:
    ip = _ip(address) if address else None
    return ip is not None and any(ip in network for network in networks)


def _chain(headers: Mapping[str, str]) -> list[str]:
    forwarded = headers.get("Forwarded")
    if forwarded:
        hops = []
        for element in forwarded.split(","):
            for pair in element.split(";"):
                key, _, value = pair.strip().partition("=")
                if key.lower() == "for":
                    hops.append(value)
        return hops
    return [hop.strip() for hop in headers.get("X-Forwarded-For", "").split(",") if hop.strip()]


def client_address(
    peer: str | None, headers: Mapping[str, str], networks: Sequence[Network]
) -> str | None:
    """The address per-address limits count: the peer, or the client its trusted proxies name."""
    if not networks or not _trusted(peer, networks):
        return peer
    chain = _chain(headers)
    for hop in reversed(chain):
        ip = _ip(hop)
        if ip is None:
            return peer  # a hop we cannot read: believe nothing past it
        if not any(ip in network for network in networks):
            return str(ip)
    first = _ip(chain[0]) if chain else None
    return str(first) if first is not None else peer
