def outer(a):
    def inn┃er(b, c=2):
        return b + c
    return inner(a)
