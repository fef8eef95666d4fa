"""Helpers for paths."""


def home():
    return "~"
