class Shape:
    ┃
