"""Reviewers' accounts: a trainer's account (same name and password rules) that is staff."""

from django.contrib.auth import get_user_model
from django.db import transaction

from catalog.accounts.trainers import create_trainer


def create_reviewer(username: str, password: str):
    """A new staff account; ValidationError when the name is taken or invalid, or the password weak."""
    with transaction.atomic():
        user = create_trainer(username, password)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def make_reviewer(username: str) -> bool | None:
    """An existing account made staff: True when it was not yet, False when it was, None when none."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return None
    if user.is_staff:
        return False
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return True
