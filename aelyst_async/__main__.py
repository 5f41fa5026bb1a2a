"""``python -m aelyst_async`` runs the ``aelyst`` command."""

from ._cli import main

raise SystemExit(main())
