def load(path):
    ┃
    return data
