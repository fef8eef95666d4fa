import ┃
