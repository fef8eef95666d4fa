"""`typehole bench receivers`: which sites' member the project defines only at the site."""

from __future__ import annotations

from pathlib import Path

from typehole.bench.receivers import Site, Tally, sites_of

BASE = '''class Base:
    def __init__(self) -> None:
        self.inherited = 1
'''
SHOP = '''from base import Base


class Shop(Base):
    __slots__ = ("slotted",)

    def __init__(self, name: str) -> None:
        self.name = name
        self.opened = False
        self.inherited = 2
        self.slotted = 3
        self.other = 4

    def open(self) -> None:
        self.opened = True


class Stall:
    def __init__(self) -> None:
        self.other = 5


class Kiosk(dict):
    def __init__(self) -> None:
        self.fresh = 6
'''


def test_members_defined_only_at_the_site_are_counted_apart(tmp_path: Path) -> None:
    (tmp_path / "base.py").write_text(BASE, encoding="utf-8")
    (tmp_path / "shop.py").write_text(SHOP, encoding="utf-8")
    sites = sites_of(tmp_path, 100)

    def where(site: Site) -> tuple[str, int, str]:
        return site.path.name, site.text.count("\n", 0, site.dot) + 1, site.member

    new = {where(s) for s in sites if s.new_attribute}
    assert new == {("base.py", 3, "inherited"), ("shop.py", 8, "name"), ("shop.py", 9, "opened"),
                   ("shop.py", 10, "inherited"), ("shop.py", 11, "slotted"),
                   ("shop.py", 12, "other"), ("shop.py", 20, "other"), ("shop.py", 25, "fresh")}
    # Defined nowhere else in its class nor in a base of the project: no engine can list it.
    # `other` is also set by another class, which does not make it a member of this one.
    # `opened` is assigned in another method, `inherited` by a base of the project, `slotted`
    # declared by `__slots__`: each exists apart from its site. A base from elsewhere (`dict`)
    # may define any name: `fresh` is never counted apart.
    only_here = {where(s) for s in sites if s.only_here}
    assert only_here == {("base.py", 3, "inherited"), ("shop.py", 8, "name"),
                         ("shop.py", 12, "other"), ("shop.py", 20, "other")}


def test_a_site_defined_only_there_is_no_miss_of_recall_hat(tmp_path: Path) -> None:
    (tmp_path / "base.py").write_text(BASE, encoding="utf-8")
    (tmp_path / "shop.py").write_text(SHOP, encoding="utf-8")
    sites = [s for s in sites_of(tmp_path, 100) if s.path.name == "shop.py"][:3]
    assert [(s.member, s.only_here) for s in sites] == [
        ("name", True), ("opened", False), ("inherited", False)]
    tally = Tally()
    for site in sites:
        tally.add(["opened", "inherited"], site, 1.0)  # every name but the one written first
    row = tally.row()
    assert row["recall"] == 2 / 3 and row["recall_d"] == 1.0 and row["new"] == 1
