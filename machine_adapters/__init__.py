"""Everything that talks to a machine. Nothing in here imports the UI."""
