"""The `lessor` command line (Typer): noun then verb."""
