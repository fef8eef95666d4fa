# expect: call_argument Todo
from dataclasses import dataclass


@dataclass
class Todo:
    title: str
    done: bool = False


def archive(todo: Todo, reason: str = "") -> None:
    pass


def main() -> None:
    archive(┃
