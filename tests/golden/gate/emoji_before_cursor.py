label = "héllo 😀" + ┃
