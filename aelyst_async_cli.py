"""The ``aelyst`` console script: :func:`aelyst_async._cli.main`, imported only once it runs,
so that Ctrl-C while the SDK is being imported is one line and exit code 130, not a traceback.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main() -> int:
    """Import the command and run it with ``sys.argv[1:]``; the exit code."""
    try:
        from aelyst_async._cli import main as run
    except KeyboardInterrupt:
        print("aelyst: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()
