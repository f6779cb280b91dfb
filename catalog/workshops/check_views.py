"""A trainer's readiness checks: open one for a workshop, watch its dashboard fill as reports come, close it.

Never cached: the pages carry CSRF tokens and the room's reports, and only the trainer who opened
a check sees it. The join link attendees use is catalog/workshops/join_views.py.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.workshops.check_dashboard import machine_rows, totals_of
from catalog.workshops.check_rooms import CheckRoom, attendee_command
from catalog.workshops.owned import visible_workshop

POLL_SECONDS = 5  # how often the dashboard asks for its rows again


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def open_check(request, slug):
    """GET: what a readiness check is, and the trainer's checks of this workshop. POST: open one."""
    workshop = visible_workshop(request, slug)
    if request.method == "POST":
        return redirect(CheckRoom.objects.open_for(workshop, request.user))
    rooms = CheckRoom.objects.of(request.user, workshop).annotate(machines=Count("reports"))
    context = {"workshop": workshop, "rooms": rooms, "keep_days": settings.READINESS_KEEP_DAYS}
    return render(request, "workshops/check_open.html", context)


def own_room(request, pk: int) -> CheckRoom:
    room = get_object_or_404(CheckRoom.objects.select_related("workshop"), pk=pk)
    if room.trainer_id != request.user.pk:
        raise PermissionDenied("only the trainer who opened a readiness check sees it")
    return room


def machines_context(room: CheckRoom) -> dict:
    rows = machine_rows(room.reports.order_by("nickname"))
    return {"room": room, "rows": rows, "totals": totals_of(rows)}


@never_cache
@login_required
@require_GET
def dashboard(request, pk):
    room = own_room(request, pk)
    link = request.build_absolute_uri(room.join_url)
    context = {
        **machines_context(room),
        "join_link": link,
        "command": attendee_command(link),
        "keep_days": settings.READINESS_KEEP_DAYS,
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "workshops/check_dashboard.html", context)


@never_cache
@login_required
@require_GET
def machines(request, pk):
    """The dashboard's totals and rows alone, for its poll."""
    return render(request, "workshops/check_machines.html", machines_context(own_room(request, pk)))


@login_required
@require_POST
def close(request, pk):
    room = own_room(request, pk)
    room.close()
    return redirect(room)
