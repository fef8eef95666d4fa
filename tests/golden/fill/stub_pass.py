# kind: body
class Cart:
    def add(self, item: str) -> None:
├        pass┃┤

    def clear(self) -> None:
        self.items = []
