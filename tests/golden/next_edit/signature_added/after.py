def scale(values, factor, offset):
    """Scale values.

    Args:
        values: The values.
        factor: The factor.
    """
    return [v * factor for v in values]


a = scale([1], 2)
b = scale([3], factor=4)
