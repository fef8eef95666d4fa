class Counter:
    def __init__(self) -> None:
        self.total = 0

    def bump(self, by: int = 1) -> None:
        self.total += by


def count(words: list[str]) -> int:
    c = Counter()
    for w in words:
        c.┃
    return c.total
