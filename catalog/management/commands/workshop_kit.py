"""`manage.py workshop_kit <slug> [--cut NAME]`: build a workshop's offline kit, print the archive's path."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.kits.building import KitBuildFailed, build_on_engine, kits_folder
from catalog.kits.builds import record_built
from catalog.kits.fingerprint import plan_fingerprint
from catalog.kits.plan import NoSuchKit, plan_for
from catalog.serving import page_cache
from worker.contract.quantities import format_size


class Command(BaseCommand):
    help = "Build the offline kit of a workshop (or of one of its cuts); prints the archive's path."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the workshop, as in /workshops/<slug>/")
        parser.add_argument("--cut", default="", help="a cut's name, for its shorter kit")
        parser.add_argument("--output", type=Path, help="the folder to write to (default: var/kits)")

    def handle(self, *args, slug: str, cut: str, output: Path | None, **options):
        try:
            plan = plan_for(slug, cut)
        except NoSuchKit as error:
            raise CommandError(str(error)) from error
        if plan.unmeasured:
            self.stderr.write(f"not measured yet (no verification): {', '.join(plan.unmeasured)}")
        say = (lambda text: self.stderr.write(text)) if options["verbosity"] >= 1 else (lambda text: None)
        folder = output or kits_folder()
        try:
            built = build_on_engine(plan, folder, say=say)
        except KitBuildFailed as error:
            raise CommandError(str(error)) from error
        say(f"{len(plan.examples)} examples, {format_size(built.size)}, sha256 {built.sha256}")
        if folder.resolve() == kits_folder().resolve():  # the folder the workshop page offers kits from
            record_built(folder, plan.name, slug, cut, built, plan_fingerprint(plan))
            page_cache.bump_generation()  # the page, cached for everyone, offers the download now
            say("the workshop page offers this kit for download now")
        self.stdout.write(str(built.archive))
