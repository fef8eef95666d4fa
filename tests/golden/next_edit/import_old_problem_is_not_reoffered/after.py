def a():
    return Path("a")


def b():
    return Path("b")
