# kind: body
from missing_package import Base


class Thing(Base):
    def describe(self) -> str:┃
├        raise NotImplementedError┤
