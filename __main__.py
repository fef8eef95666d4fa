"""`python -m typehole`: the same as the `typehole` command."""

import sys

from typehole.cli.main import main

sys.exit(main())
