def f(fh):
    while ┃
