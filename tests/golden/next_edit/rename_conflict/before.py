def total(items):
    count = 0
    size = 1
    for item in items:
        count += item.size * size
    return count
