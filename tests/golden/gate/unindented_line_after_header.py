def area(radius):
┃
