# kind: todo
def report(rows: list[dict]) -> str:
    lines = []
├    # TODO: append one line per row┃┤
    return "\n".join(lines)
