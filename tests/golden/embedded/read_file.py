import os


def read_file(path):
    with open(path) as f:
        return f.┃
