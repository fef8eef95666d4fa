def show(value: int, frozen: set) -> str:
    label = ┃
