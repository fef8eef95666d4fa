from typing import Protocol


class Sized(Protocol):
    def size(self) -> int:┃
        ...
