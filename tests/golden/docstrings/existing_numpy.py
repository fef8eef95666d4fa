def scale┃(values, factor, *, clip=False):
    """Scale values — keep this prose.

    Parameters
    ----------
    values : list
        The values, as given.
    old : int
        Removed long ago.

    Notes
    -----
    Human notes stay.
    """
    if factor < 0:
        raise ValueError(factor)
    return [v * factor for v in values]
