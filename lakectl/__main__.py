"""``python -m lakectl`` entry point."""

from lakectl.cli import main

raise SystemExit(main())
