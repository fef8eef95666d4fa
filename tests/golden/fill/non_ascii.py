# kind: body
def grüße(名前: str) -> str:
    """Grüße 😀 an 名前."""
├    ...┃┤
