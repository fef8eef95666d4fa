from pathlib import Path


def newest_log(folder: Path) -> Path | None:
    """The log file in `folder` changed last."""
    logs = ┃
