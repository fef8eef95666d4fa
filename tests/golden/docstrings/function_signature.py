import os


def join┃(a, /, b: int = 1, *args: str, c, d: "os.PathLike[str] | None" = None, **kwargs) -> str:
    return os.path.join(str(a), *args)
