class Attribute:
    __slots__ = ("name", "default")

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)


def label(a: Attribute) -> str:
    return a.┃
