"""``python -m helpers prepare NAME...``: de-quantise the offline models once (``make models``).

A package-level entry point, so ``helpers.models`` is imported once (running it with
``python -m helpers.models`` would import it twice, via the package, and warn).
"""
from .models import _main

_main()
