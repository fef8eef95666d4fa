"""Orders and the stock they take from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Product:
    sku: str
    title: str
    unit_price: float
    on_hand: int = 0


@dataclass
class OrderLine:
    product: Product
    count: int

    def subtotal(self) -> float:
        return self.product.unit_price * self.count


@dataclass
class Order:
    number: str
    lines: list[OrderLine] = field(default_factory=list)

    def add(self, product: Product, count: int) -> OrderLine:
        line = OrderLine(product, count)
        self.lines.append(line)
        return line

    def total(self) -> float:
        return sum(line.subtotal() for line in self.lines)


def reserve(order: Order) -> list[str]:
    """Take each line's count from stock; the SKUs that ran short."""
    short = []
    for line in order.lines:
        if line.product.on_hand < line.count:
            short.append(line.product.┃)
            continue
        line.product.on_hand -= line.count
    return short
