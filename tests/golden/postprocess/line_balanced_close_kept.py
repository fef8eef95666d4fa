print(┃)
