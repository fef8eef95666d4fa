class Settings:
    def save(self) -> None:
        text = "x"
        ┃

    def get(self):
        return 1
