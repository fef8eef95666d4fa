from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment


class Grid:
    """Cells rendered row by row."""

    def __init__(self, rows: list[list[str]]) -> None:
        self.rows = rows

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> RenderResult:
        width = options.max_width
        new_line = Segment.line()
        for row in self.rows:
            for cell in row:
                lines = console.render_lines(cell, options.update_width(width))
                for line in lines:
                    yield from line
            yield new_line


if __name__ == "__main__":
    from rich.console import Console

    ┃
