# expect: call_argument int
def repeat(text: str, times: int) -> str:
    return text * times


value = repeat("ab", ┃)
