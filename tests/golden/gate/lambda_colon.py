key = lambda item:┃
