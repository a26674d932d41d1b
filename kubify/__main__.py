"""``python -m kubify`` runs the CLI."""

from kubify.cli import main

main()
