"""A half-written module to try typehole on: `typehole complete examples/inventory.py:29:16`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 0


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        self.items[item.name] = item

    def total_value(self) -> float:
        return sum(item.price * item.quantity for item in self.items.values())

    def restock(self, name: str, quantity: int) -> Item:
        item = self.items[name]
        item.quantity += quantity
        return item

    def remove(self, name: str) -> Item:
        item = self.
