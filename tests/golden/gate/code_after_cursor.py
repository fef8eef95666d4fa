result = ┃ + offset
