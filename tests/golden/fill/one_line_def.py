# kind: body
def double(x: int) -> int:├ ...┃┤
