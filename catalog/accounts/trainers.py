"""Making a trainer's account outside the browser, with the same password rules as the sign-up form."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


def create_trainer(username: str, password: str):
    """A new active account; ValidationError when the name is taken or invalid, or the password weak."""
    model = get_user_model()
    user = model(username=username)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise ValidationError(f"the name {username!r} cannot be used: {' '.join(error.messages)}") from error
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user
