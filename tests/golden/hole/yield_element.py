# expect: return int
from typing import Iterator


def numbers() -> Iterator[int]:
    yield ┃
