"""Verifications on the site: the durable job (models), queueing, and everything the pages show of a run."""
