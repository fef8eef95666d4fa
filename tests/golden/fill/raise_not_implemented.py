# kind: body
def parse(text: str) -> int:
    """Parse an integer.┃"""
├    raise NotImplementedError("parse")
    # the rest comes later┤


x = 1
