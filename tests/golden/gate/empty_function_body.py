def area(radius):
    ┃
