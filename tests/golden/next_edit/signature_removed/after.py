def scale(values):
    """Scale values.

    :param values: The values.
    :param factor: The factor.
        It multiplies.
    """
    return [v * 2 for v in values]


a = scale([1], 2)
b = scale([3], factor=4)
