# expect: call_argument Optional[Todo]
from typing import Optional


class Todo:
    title: str


def make(todo: Todo, n: int = 3, *, parent: Optional[Todo] = None) -> list[Todo]:
    return [todo]


make(Todo(), parent=┃
