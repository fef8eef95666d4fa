name = "hel┃"
