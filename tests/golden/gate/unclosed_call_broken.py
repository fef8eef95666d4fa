result = compute(
    first,
    ┃
