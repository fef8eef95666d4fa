label = "😀" + ┃
