import json
from pathlib import Path


class Settings:
    """Settings read from a JSON file, with defaults for what it does not say."""

    defaults = {"theme": "light", "font_size": 12, "autosave": True}

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values = dict(self.defaults)

    def load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            data = json.load(handle)
        for key, value in data.items():
            if key in self.defaults:
                self.values[key] = value

    def save(self) -> None:
        text = json.dumps(self.values, indent=2, sort_keys=True)
        ┃

    def get(self, key: str) -> object:
        return self.values[key]
