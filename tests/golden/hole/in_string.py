# expect: unknown None
def greet(name: str) -> str:
    return "hello, ┃"
