def ok┃(a, b):
    return a + b


def broken(x:
    if x
        return (
