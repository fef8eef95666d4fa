# expect: annotated_assignment list[Path]
from pathlib import Path


def scan() -> None:
    found: list[Path] = ┃
