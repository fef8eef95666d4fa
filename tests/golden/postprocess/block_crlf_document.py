class Shape:
    def area(self):
        ┃
