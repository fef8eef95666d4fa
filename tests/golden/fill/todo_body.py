# kind: body
def area(w: float, h: float) -> float:
    """Area of a rectangle."""
├    # TODO: multiply width by height┃┤
