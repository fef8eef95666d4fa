from typing import overload


@overload
def get(key: int) -> int: ...┃
@overload
def get(key: str) -> str: ...
def get(key):
    return key
