def total(prices: list[float]) -> float:
    result = sum(prices)
    return result┃
