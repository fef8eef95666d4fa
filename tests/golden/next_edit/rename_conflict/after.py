def total(items):
    size = 0
    size = 1
    for item in items:
        count += item.size * size
    return count
