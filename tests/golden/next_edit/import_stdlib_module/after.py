import os
from typing import Any


def dump(data: Any) -> str:
    return json.dumps(data, indent=2)
