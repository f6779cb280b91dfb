"""Contributors' submissions: proposed patterns, verified in the sandboxed engine, then reviewed."""
