# expect: dereference Path
from pathlib import Path


def stem_of(path: Path) -> str:
    return path.┃
