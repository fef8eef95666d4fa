# kind: body
def greet(name: str) -> str:
    """Say hello to `name`."""├┤┃
