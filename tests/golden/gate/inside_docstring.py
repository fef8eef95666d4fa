def f():
    """Return the ┃
