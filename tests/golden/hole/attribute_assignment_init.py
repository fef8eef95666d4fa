# expect: attribute_assignment int
class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def reset(self) -> None:
        self.value = ┃
