# expect: comparison Color
import enum


class Color(enum.Enum):
    RED = 1
    BLUE = 2


def is_red(color: Color) -> bool:
    return color == ┃
