"""`python -m typehole`: the same as the `typehole` command."""

import sys

from typehole.server.cli import main

sys.exit(main())
