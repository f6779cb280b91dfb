"""How pages reach readers: the shared page cache, the WSGI front that answers from it, headers, processes."""
