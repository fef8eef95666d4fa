from os.path import *


def b():
    return Path("b")
