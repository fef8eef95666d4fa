class Spinner:
    def __init__(self, name: str) -> None:
        self.name = name

    def render(self) -> str:
        self.┃
