# kind: expression
def mean(values: list[float]) -> float:
    count = len(values)
    total = ├...┤┃
    return total / count
