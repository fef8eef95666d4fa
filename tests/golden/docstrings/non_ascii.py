def grüß┃(名前: str, émoji: str = "🎉") -> str:
    return f"{名前} {émoji}"
