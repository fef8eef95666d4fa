value = ┃
