def f(xs):
    return [┃
