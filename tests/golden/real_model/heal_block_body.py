import re


def slugify(title: str) -> str:
    """Lower-case words of `title` joined by dashes: "Hello, World!" -> "hello-world"."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)


def unique_slug(title: str, taken: set[str]) -> str:
    """A slug for `title` that is not in `taken`, numbered when it has to be."""
    ┃
