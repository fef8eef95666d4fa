"""Helpers for paths."""


def home():
    return Path("~").expanduser()
