# kind: body
def broken(:
    return 1


def fine(a: int) -> int:┃
├    pass┤
