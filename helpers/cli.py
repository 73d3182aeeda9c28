"""The ``emo-probes`` command (installed by ``pip install -e .``).

    emo-probes prepare smollm2-135m gemma3-270m   # de-quantise the offline models once
    emo-probes run --model smollm2-135m            # the notebooks into runs/<model>/ (= make run)
    emo-probes sweep --grid sweeps/default.yaml    # a grid of models x seeds (= make sweep)
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["prepare"]:
        from .models import _main

        _main(argv)
        return 0
    from .runner import main as runner_main

    return runner_main(argv)


if __name__ == "__main__":
    sys.exit(main())
