def real(x: int) -> int:┃
    y = x + 1
    return y
