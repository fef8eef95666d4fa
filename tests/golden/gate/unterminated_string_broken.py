label = "abc┃
count = 2
