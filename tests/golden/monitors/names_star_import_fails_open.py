from os.path import *
x = ┃
