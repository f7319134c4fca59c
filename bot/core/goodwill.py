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


MAX_AMOUNT = Decimal(100_000)


def parse_amount(value: object) -> Decimal:
    """A positive amount of money with at most two decimals, or InputError ("NaN", "1e9",
    "-5", "Infinity" and non-numbers are refused, not left to fail later)."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise InputError("'amount' must be a number", code="invalid_amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InputError(
            f"'amount' must be a positive number up to {MAX_AMOUNT}", code="invalid_amount"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InputError("'amount' has at most two decimals", code="invalid_amount")
    return amount.quantize(Decimal("0.01"))


def limit_for(tier: str | None, limits: dict[str, Decimal]) -> Decimal:
    """What agents may grant a customer of `tier` in one period (their `other` if unrated)."""
    return limits.get(tier or "other", limits.get("other", Decimal(0)))


def check_goodwill(
    amount: Decimal, tier: str | None, limits: dict[str, Decimal], is_admin: bool
) -> None:
    """Raise unless an agent may grant `amount` to a customer of `tier` (admins: any amount)."""
    if amount <= 0:
        raise InputError("the amount must be positive", code="invalid_amount")
    if is_admin:
        return
    limit = limit_for(tier, limits)
    if amount > limit:
        raise PermissionDeniedError(
            f"{amount} is above the {limit} an agent may grant to a {tier or 'unrated'} customer;"
            " ask an admin"
        )
