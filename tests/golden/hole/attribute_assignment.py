# expect: attribute_assignment dict[str, float]
class Meter:
    readings: dict[str, float]

    def __init__(self) -> None:
        self.readings = {}

    def reset(self) -> None:
        self.readings = ┃
