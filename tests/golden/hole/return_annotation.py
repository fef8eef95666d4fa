# expect: return dict[str, int]
def count(words: list[str]) -> dict[str, int]:
    seen = {}
    for word in words:
        seen[word] = seen.get(word, 0) + 1
    return ┃
