"""`manage.py create_reviewer NAME`: a staff account that reviews submissions at /review/."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.accounts.reviewers import create_reviewer, make_reviewer
from catalog.management.password_prompt import password_from

PASSWORD_VARIABLE = "REVIEWER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a reviewer: a staff account that sees the queue of submissions at /review/ and accepts, "
        "rejects or asks for changes. The password follows the sign-up form's rules; it is read from "
        f"the environment variable named by --password-from-env (default {PASSWORD_VARIABLE}) when it "
        "is set (for scripts), else asked for twice on the terminal. An account of that name that "
        "exists already is made staff, its password left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the name to log in with")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            default=PASSWORD_VARIABLE,
            help=f"the environment variable that holds the password (default {PASSWORD_VARIABLE})",
        )

    def handle(self, *args, name, password_from_env, **options):
        made = make_reviewer(name)
        if made is not None:
            said = "is now a reviewer (staff)" if made else "was a reviewer (staff) already"
            self.stdout.write(f"the account {name!r} existed: it {said}; its password is unchanged")
            return
        password = password_from(password_from_env)
        try:
            create_reviewer(name, password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"created reviewer {name!r}: log in at /accounts/login/, then review at /review/")
