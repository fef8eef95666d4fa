def g(a, b, *, c, d=1):
    pass


g(┃
