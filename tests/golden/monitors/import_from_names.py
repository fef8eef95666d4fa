from os import ┃
