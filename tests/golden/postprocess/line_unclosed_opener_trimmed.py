result = ┃
