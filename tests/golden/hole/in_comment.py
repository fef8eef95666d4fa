# expect: unknown None
def total(values: list[int]) -> int:
    # the sum of values == ┃
    return sum(values)
