"""Allow ``python -m skxml``, the same as the ``skxml`` command."""

import sys

from skxml.cli import main

sys.exit(main())
