import functools


@functools.lru_cache(maxsize=None)
@┃staticmethod
def cached(n: int) -> int:
    return n
