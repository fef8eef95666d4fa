def build(cls, these=None):
    if these is not None:
        return list(these.┃
