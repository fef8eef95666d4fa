# expect: annotated_assignment set[str]
def names() -> None:
    seen: set[str] = set()
    seen = ┃
