"""`manage.py provision_bases`: make every base image in bases.yaml exist locally, and record how."""

import argparse
import fcntl
import os

import docker
import kombu.exceptions
import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from worker.bases.provision import provision, record_provisioning
from worker.bases.specs import BaseRecord, BaseSpec, ProvisionError, read_bases
from worker.contract.quantities import format_size
from worker.images.ids import short_id
from worker.tasks import wake_waiting_verifications


def connect_engine() -> docker.DockerClient:
    """A client for DOCKER_HOST or the local socket, never the CLI's current context."""
    try:
        return docker.from_env(use_context=False)
    except TypeError:  # docker-py before 7.2 has no use_context and no context fallback
        return docker.from_env()


class Command(BaseCommand):
    help = "Pull or build offline every base image patterns/bases.yaml lists; record which in var/bases.json."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pull",
            action=argparse.BooleanOptionalAction,
            # Off by default: where no registry answers, a pull can hang on DNS before it fails.
            default=os.environ.get("VERIFY_TRY_PULL") == "1",
            help="try the registry before building a stand-in (default: VERIFY_TRY_PULL=1)",
        )
        parser.add_argument("--only", action="append", metavar="IMAGE", help="provision only this base")

    def handle(self, *args, pull: bool, only: list[str] | None, verbosity: int, **options):
        path = settings.PATTERNS_DIR / "bases.yaml"
        try:
            specs = read_bases(path)
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read the bases: {error}") from error
        chosen = [spec for spec in specs if not only or spec.image in only]
        unknown = sorted(set(only or ()) - {spec.image for spec in specs})
        if unknown:
            raise CommandError(f"not in {path}: {', '.join(unknown)}")
        try:
            client = connect_engine()
            client.ping()
        except (docker.errors.DockerException, requests.RequestException) as error:
            raise CommandError(f"the Docker engine is unreachable: {error}") from error
        records: list[BaseRecord] = []
        # make test and make run may start together: one debootstrap per base, not two racing to tag it.
        with open(settings.VAR_DIR / "bases.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.stdout.write("waiting for another provision_bases to finish")
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                for spec in chosen:
                    records.append(self._provision(client, spec, pull, verbosity))
                    self.stdout.write(_line(records[-1]))
            finally:
                record_provisioning(settings.VAR_DIR / "bases.json", specs, records)
                client.close()
        self._wake_waiting()

    def _wake_waiting(self) -> None:
        """Verifications that waited for a base image may run now: wake them instead of their back-off."""
        try:
            woken = wake_waiting_verifications(due_only=False)
        except DatabaseError:
            return  # no catalog database yet (`make bases` before the first migrate): nothing waits
        except kombu.exceptions.OperationalError as error:
            # The rows are queued again; the reaper resends lost wake-up calls once the broker answers.
            self.stderr.write(f"could not send the wake-up calls: {error}")
            return
        if woken:
            self.stdout.write(f"woke {len(woken)} verification(s) that were waiting")

    def _provision(
        self, client: docker.DockerClient, spec: BaseSpec, pull: bool, verbosity: int
    ) -> BaseRecord:
        def on_event(message: str) -> None:
            if verbosity >= 1:
                self.stdout.write(f"  {spec.image}: {message}")
                self.stdout.flush()

        try:
            return provision(client, spec, try_pull=pull, on_event=on_event)
        except ProvisionError as error:
            raise CommandError(f"could not provision {error}") from error
        except (docker.errors.DockerException, requests.RequestException) as error:
            raise CommandError(f"could not provision {spec.image}: the engine failed: {error}") from error


def _line(record: BaseRecord) -> str:
    source = record.source if record.source != "present" else f"present ({record.origin})"
    short = short_id(record.image_id)
    return (
        f"{record.image:<28} {source:<20} {short}  {format_size(record.size):>8}  {record.duration:.1f}s"
        + (f"  {record.digest}" if record.digest else "")
    )
