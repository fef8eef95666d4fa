# expect: unknown None
import os


def main() -> None:
    ┃
