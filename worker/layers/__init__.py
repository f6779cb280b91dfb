"""Layer analysis of a `docker save` stream: read each layer, stack the changes, say what was wasted."""
