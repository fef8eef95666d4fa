def check(path):
    if ┃
