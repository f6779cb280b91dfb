"""`manage.py create_trainer NAME`: a trainer's account, its password from TRAINER_PASSWORD or typed twice."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.accounts.trainers import create_trainer
from catalog.management.password_prompt import password_from

PASSWORD_VARIABLE = "TRAINER_PASSWORD"


class Command(BaseCommand):
    help = (
        f"Create a trainer's account. The password is read from {PASSWORD_VARIABLE} when it is set "
        "(for scripts), else asked for twice on the terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the name to log in with")

    def handle(self, *args, name, **options):
        password = password_from(PASSWORD_VARIABLE)
        try:
            create_trainer(name, password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"created trainer {name!r}: log in at /accounts/login/")
