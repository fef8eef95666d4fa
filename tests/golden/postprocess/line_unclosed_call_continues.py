import attr


@attr.s
class C:
    name = ┃
