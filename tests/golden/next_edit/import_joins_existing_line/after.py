from typing import Any, Optional


def first(items: list[Any]) -> Optional[Any]:
    return items[0] if items else None


def pick(items: Sequence[Any], key: Callable[[Any], bool]) -> Optional[Any]:
    return next((i for i in items if key(i)), None)
