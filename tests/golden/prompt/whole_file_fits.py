import math


def area(radius):
    return math.pi * ┃


print(area(2))
