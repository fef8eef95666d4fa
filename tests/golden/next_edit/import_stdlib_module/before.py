import os
from typing import Any


def dump(data: Any) -> str:
    return str(data)
