label = "😀 ┃"
