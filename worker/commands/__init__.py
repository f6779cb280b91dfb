"""The commands a page tells a reader to type, run with the Docker CLI as part of verification."""
