def area(radius):
    """Area of a circle."""
    ┃
