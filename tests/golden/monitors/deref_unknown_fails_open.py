def f(s):
    return s.┃
