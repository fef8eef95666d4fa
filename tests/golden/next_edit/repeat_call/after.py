import os


def paths(root):
    a = root / "a"
    b = os.path.join(root, "b")
    c = os.path.join(root, "c")
    return a, b, c
