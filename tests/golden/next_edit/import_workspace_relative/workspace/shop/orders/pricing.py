def tax(total):
    return total * 0.2
