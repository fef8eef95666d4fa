for item in items:┃
