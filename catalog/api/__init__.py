"""The JSON API: its types, how they are built from the catalog, its schema, HTTP and its page."""
