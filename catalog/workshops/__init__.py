"""Workshops: curated ones as files in workshops/, synced with the patterns, and their pages."""
