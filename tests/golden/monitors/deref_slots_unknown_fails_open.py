SLOTS = ("name", "default")


class Attribute:
    __slots__ = SLOTS  # not a literal: the declared names are not known

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)


def label(a: Attribute) -> str:
    return a.┃
