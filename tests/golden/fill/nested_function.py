# kind: body
def outer(n: int) -> int:
    def inner(k: int) -> int:┃
├        ...┤

    return inner(n) + 1
