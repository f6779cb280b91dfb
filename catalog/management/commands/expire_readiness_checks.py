"""`manage.py expire_readiness_checks`: delete the readiness checks (and reports) past READINESS_KEEP_DAYS.

The worker's beat does the same every hour (catalog.expire_readiness_checks); this is for a site
run without a worker, or to see what is due now.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from catalog.workshops.check_rooms import CheckRoom


class Command(BaseCommand):
    help = (
        "Delete the readiness checks of workshops whose date is more than READINESS_KEEP_DAYS days past "
        "(checks of undated workshops: opened that long ago), with their attendees' reports."
    )

    def handle(self, *args, **options):
        expired = CheckRoom.objects.delete_due(timezone.now())
        self.stdout.write(
            f"deleted {expired.rooms} readiness check(s) and {expired.reports} machine report(s); "
            f"{CheckRoom.objects.count()} remain"
        )
