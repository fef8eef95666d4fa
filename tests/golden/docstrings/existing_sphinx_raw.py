def pattern┃(expr: str, flags: int = 0):
    r"""Compile \d+ style patterns.

    :param expr: The expression.
    :param gone: No longer here.
    :raises KeyError: From the cache.
    """
    if not expr:
        raise ValueError(expr)
    return compile(expr, flags)
