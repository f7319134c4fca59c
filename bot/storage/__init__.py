"""Storage adapters behind the ports of `bot.ports`."""
