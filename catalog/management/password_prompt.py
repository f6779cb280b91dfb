"""The password of an account a command makes: from an environment variable (scripts), else typed twice."""

import getpass
import os
import sys

from django.core.management.base import CommandError


def password_from(variable: str) -> str:
    """The value of `variable` when set, else the password typed twice on the terminal; CommandError
    when there is no terminal to ask on or the two differ."""
    if os.environ.get(variable):
        return os.environ[variable]
    if not sys.stdin.isatty():
        raise CommandError(f"no terminal to ask for the password on: set {variable}")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        raise CommandError("the two passwords differ")
    return password
