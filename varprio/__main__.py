"""``python -m varprio``."""

from varprio.cli import main

main()
