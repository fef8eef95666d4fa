def total(items):
    acc = 0
    for item in items:
        count += item.size
    return count
