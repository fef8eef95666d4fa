class Box:
    def __init__(self, cls: type) -> None:
        self._cls = cls

    def make(self) -> object:
        return self.┃
