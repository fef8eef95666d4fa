"""Real projects for tests: pinned sdists from PyPI, cached (see `typehole.bench.projects`)."""

from typehole.bench.projects import CACHE, real_project

__all__ = ["CACHE", "real_project"]
