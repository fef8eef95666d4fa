total = ┃
