def f(s: str):
    x = s┃
