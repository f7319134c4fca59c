"""Goodwill rules: how much an agent may grant a customer, by tier. Pure."""

from __future__ import annotations

from decimal import Decimal

from bot.errors import ConfigError, InputError, PermissionDeniedError


def parse_limits(text: str) -> dict[str, Decimal]:
    """`top=100,high-potential=50` -> {"top": Decimal(100), ...}."""
    limits: dict[str, Decimal] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, amount = part.partition("=")
        try:
            limits[name.strip()] = Decimal(amount.strip())
        except ArithmeticError:
            raise ConfigError(f"goodwill limit {part!r}: write tier=amount, e.g. top=100") from None
    return limits


def check_goodwill(
    amount: Decimal, tier: str | None, limits: dict[str, Decimal], is_admin: bool
) -> None:
    """Raise unless an agent may grant `amount` to a customer of `tier` (admins: any amount)."""
    if amount <= 0:
        raise InputError("the amount must be positive", code="invalid_amount")
    if is_admin:
        return
    limit = limits.get(tier or "other", limits.get("other", Decimal(0)))
    if amount > limit:
        raise PermissionDeniedError(
            f"{amount} is above the {limit} an agent may grant to a {tier or 'unrated'} customer;"
            " ask an admin"
        )
