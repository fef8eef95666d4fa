import math

square = lambda ┃x: math.pow(x, 2)
