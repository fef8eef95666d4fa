# expect: dereference Todo
class Todo:
    title: str


def first() -> Todo:
    return Todo()


first().┃
