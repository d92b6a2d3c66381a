"""Command-line interface (placeholder until the CLI lands)."""


def main() -> int:
    """Entry point."""
    return 0
