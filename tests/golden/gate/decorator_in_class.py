class Shape:
    @property
    ┃
