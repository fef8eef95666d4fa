from rich.console import Console, ConsoleOptions
from rich.measure import Measurement


class Bar:
    def __init__(self, width: int) -> None:
        self.width = width

    def __rich_measure__(
        self, console: Console, options: ConsoleOptions
    ┃
        return Measurement(self.width, self.width)
