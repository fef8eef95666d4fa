def f(x):
    z = x +
    return y + y
