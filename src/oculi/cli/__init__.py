"""The ``oculi`` command line: one Typer sub-app per topic, no logic of its own."""
