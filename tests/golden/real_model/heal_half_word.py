from dataclasses import dataclass, field


@dataclass
class Playlist:
    name: str
    songs: list[str] = field(default_factory=list)
    played: int = 0

    def add(self, song: str) -> None:
        self.songs.append(song)

    def next_song(self) -> str | None:
        if self.played >= len(self.songs):
            return None
        song = self.songs[self.pla┃
