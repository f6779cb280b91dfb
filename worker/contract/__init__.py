"""The one contract between the worker and the site: result types, failure reasons, label keys.

Free of Django, so that engine modules can use it, and versioned: every stored result says
which `schema_version` wrote it (report.py). The site reads results only through these types.
"""
