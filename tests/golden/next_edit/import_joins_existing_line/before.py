from typing import Any, Optional


def first(items: list[Any]) -> Optional[Any]:
    return items[0] if items else None
