def a():
    return Path("a")


def b():
    return "b"
