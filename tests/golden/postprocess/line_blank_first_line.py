def total(prices):
    result = sum(prices)
    ┃
