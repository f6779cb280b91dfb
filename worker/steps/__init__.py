"""The step actions of a scenario, one unit each (schema, description, handler, judges), and what they share.

The units are collected in worker/steps/registry.py. This file stays empty of imports,
so that a module of the package can be imported without loading every action.
"""
