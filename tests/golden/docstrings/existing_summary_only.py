def area┃(w: float, h: float) -> float:
    """Area of a rectangle.

    Callers pass metres; this paragraph is human text.
    """
    return w * h
