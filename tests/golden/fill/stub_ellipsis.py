# kind: body
def total(prices: list[float]) -> float:┃
    """Sum the prices."""
├    ...┤
