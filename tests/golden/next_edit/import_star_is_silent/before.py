from os.path import *


def b():
    return "b"
