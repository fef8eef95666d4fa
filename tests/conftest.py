"""Shared test setup.

Servers and commands the tests start run the `ngram` model unless a test names another: it is
instant and deterministic, and most tests are about what typehole does around a model. Tests of
the real model (tests/test_embedded.py, and the ones that configure `embedded`) name it.
"""

from __future__ import annotations

import os

os.environ.setdefault("TYPEHOLE_MODEL", "ngram")
