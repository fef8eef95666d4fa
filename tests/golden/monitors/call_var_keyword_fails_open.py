def g(a, **kw):
    pass


g(┃
