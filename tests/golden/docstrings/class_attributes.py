import dataclasses


@dataclasses.dataclass
class Po┃int:
    x: int
    y: int = 0
    label = "p"
    _cache: dict = {}

    def __init__(self, x: int, y: int = 0) -> None:
        self.x = x
