def parse┃(text: str) -> int:
    if not text:
        raise ValueError("empty")
    try:
        return int(text)
    except (TypeError, OverflowError):
        raise
    except KeyError as err:
        raise err
    if text == "x":
        raise ValueError("again")

    def inner():
        raise OSError
    raise errors.ParseError(text) from None
