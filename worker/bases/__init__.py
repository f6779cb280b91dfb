"""Base images without a registry: bases.yaml (specs), offline stand-ins, provisioning, per-run copies."""
