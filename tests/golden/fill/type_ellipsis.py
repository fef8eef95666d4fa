from collections.abc import Callable

handler: Callable[..., int] = print┃
pair: tuple[int, ...] = (1, 2)
