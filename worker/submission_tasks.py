"""Celery tasks of submissions: the sandbox run (sandbox queue only), and the beat that wakes and reaps.

`catalog.verify_submission` is routed to the `sandbox` queue (CELERY_TASK_ROUTES), which only the
worker started with DOCKER_HOST on the sandboxed engine consumes. The wake-up runs on the main
worker's beat: it re-sends runs that wait for the sandbox, queues again those whose worker died, and
removes from the sandboxed engine what no running submission owns.
"""

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections

from catalog.submissions.models import SubmissionRun
from catalog.submissions.submit import send_run
from worker.engine.client import EngineUnavailable
from worker.engine.reaping import reap
from worker.sandbox_engine import sandbox_client, sandbox_status
from worker.submission_run import OWNER, requeue_stale_runs, verify_run


@shared_task(name="catalog.verify_submission")
def verify_submission(run_id: int) -> str:
    return verify_run(run_id)


@shared_task(name="catalog.wake_submission_runs")
def wake_submission_runs() -> dict:
    close_old_connections()
    requeued = requeue_stale_runs()
    waiting = []
    # A waiting run waits for the sandbox: sent again only once it is ready, or every pass would add
    # one more message per run to a queue whose worker can do nothing with them.
    if sandbox_status(settings.SANDBOX_DOCKER_HOST).ready:
        rows = SubmissionRun.objects.filter(state=SubmissionRun.State.WAITING)
        waiting = list(rows.values_list("pk", flat=True))
    for pk in [*requeued, *waiting]:
        send_run(pk)
    return {"requeued": len(requeued), "woken": len(waiting), "removed": sweep_sandbox()}


def sweep_sandbox() -> int | str:
    """Remove from the sandboxed engine what submissions' runs made and no running run owns."""
    try:
        client = sandbox_client(settings.SANDBOX_DOCKER_HOST)
    except EngineUnavailable as error:
        return f"unreachable: {error}"
    try:
        live = SubmissionRun.objects.filter(state=SubmissionRun.State.RUNNING).values_list("pk", "attempt")
        return reap(client, live, instance=settings.CATALOG_INSTANCE, owner=OWNER).total
    finally:
        client.close()
