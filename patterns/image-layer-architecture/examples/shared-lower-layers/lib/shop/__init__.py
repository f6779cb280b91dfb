"""The team's shared library: every service of the shop uses it."""

VERSION = "1.3"


def money(cents: int) -> str:
    """Format an amount in cents the same way in every service."""
    return f"EUR {cents // 100}.{cents % 100:02d}"
