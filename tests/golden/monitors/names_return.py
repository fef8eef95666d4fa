def f(value: int):
    return ┃
