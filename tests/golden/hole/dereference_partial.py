# expect: dereference str
def shout(text: str) -> str:
    return text.up┃
