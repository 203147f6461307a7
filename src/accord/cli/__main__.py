"""`python -m accord.cli`: the `accord` command."""

from accord.cli import main

main()
