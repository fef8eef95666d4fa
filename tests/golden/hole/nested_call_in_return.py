# expect: call_argument str
def wrap(text: str) -> list[str]:
    return [text]


def outer() -> list[str]:
    return wrap(┃)
