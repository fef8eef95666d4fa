def show(settings: dict[str, int]) -> None:
    """Print each setting on its own line."""
    ┃
