def area(radius):
    """Area of a circle.

    Radius in metres.
    """
    ┃
