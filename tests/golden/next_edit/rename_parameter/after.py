def area(width, tall):
    return width * height


print(area(2, height=3))
