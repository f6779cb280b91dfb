"""Images a run builds: the build context, the builder, their facts and ids, lint, and the insight pass."""
