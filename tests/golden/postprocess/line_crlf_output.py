total = ┃
print(total)
