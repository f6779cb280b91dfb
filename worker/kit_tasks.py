"""The offline kit's build as a Celery task: claim the queued request, build on the engine, record the end.

The status file beside the kit (catalog/kits/status.py) plays the part a row plays for a
verification: the message names a build, and only the build the status still queues is run.
"""

from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from catalog.kits.building import KitBuildFailed, build_on_engine, kits_folder
from catalog.kits.builds import claim, fail, finish, say_progress
from catalog.kits.fingerprint import plan_fingerprint
from catalog.kits.plan import NoSuchKit, plan_for
from catalog.kits.status import BUILD_SECONDS, KitStatus
from catalog.serving import page_cache
from worker.contract.quantities import format_size


@shared_task(name="catalog.build_kit", soft_time_limit=BUILD_SECONDS, time_limit=BUILD_SECONDS + 60)
def build_workshop_kit(name: str, build: str) -> str:
    # Celery's Django fixup closes stale database connections around each task; none is closed here.
    folder = kits_folder()
    status = claim(folder, name, build)
    if status is None:
        return "not claimed: finished, failed or replaced by a newer request"
    try:
        return build_claimed(folder, status)
    finally:
        page_cache.bump_generation()  # the workshop page, cached for everyone, shows the outcome


class BuildReplaced(Exception):
    """The status belongs to a newer request now: this build stops."""


def build_claimed(folder: Path, status: KitStatus) -> str:
    name, build = status.name, status.build

    def say(line: str) -> None:
        if not say_progress(folder, name, build, line):
            raise BuildReplaced

    try:
        plan = plan_for(status.workshop, status.cut)
        built = build_on_engine(plan, folder, say)
        say(f"built: {len(plan.examples)} examples, {format_size(built.size)}, sha256 {built.sha256}")
        finish(folder, name, build, built, plan_fingerprint(plan))
        return f"{name}: ready"
    except (NoSuchKit, KitBuildFailed) as error:
        fail(folder, name, build, str(error))
    except SoftTimeLimitExceeded:
        fail(folder, name, build, f"it took longer than {BUILD_SECONDS // 60} minutes and was stopped")
    except BuildReplaced:
        return f"{name}: replaced by a newer request"
    except Exception as error:
        fail(folder, name, build, f"an unexpected error, {type(error).__name__}: {error}")
        raise
    return f"{name}: failed"
