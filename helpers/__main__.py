"""``python -m helpers ...``: the ``emo-probes`` command without the installed script."""
import sys

from .cli import main

sys.exit(main())
