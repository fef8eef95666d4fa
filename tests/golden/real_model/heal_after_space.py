import math


def circle_area(radius: float) -> float:
    return math.pi * radius ** 2


def ring_area(outer: float, inner: float) -> float:
    """The area between two circles with the same centre."""
    return ┃
