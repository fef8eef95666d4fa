# expect: return Path
from pathlib import Path


def locate(name: str) -> Path:
    if name == (:
        pass
    return ┃


def other(:
