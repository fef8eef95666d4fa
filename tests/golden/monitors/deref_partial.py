def f(s: str):
    return s.up┃
