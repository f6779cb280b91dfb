"""A tiny application whose Dockerfile is only two lines long."""

import importlib.util
import os

here = os.path.abspath(__file__)
compiled = os.path.exists(importlib.util.cache_from_source(here))
print(f"hello from {here}, running as uid {os.getuid()}")
print(f"bytecode compiled by an ONBUILD trigger: {'yes' if compiled else 'no'}")
