"""A readiness check's join link: GET tells an attendee what to run, POST takes the report check.sh sends.

The POST is an API for curl, so it is exempt from CSRF: the unguessable token in the link is its
only key, and all it can do is store one machine's report in that room. Every answer to a POST is
one line of plain text, which check.sh prints on the attendee's terminal.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from catalog.verifications.views import client_address
from catalog.workshops.check_report import MAX_BYTES, ReportError, parse_report
from catalog.workshops.check_rooms import MAX_MACHINES, CheckRoom, MachineReport, attendee_command
from catalog.workshops.models import Workshop
from catalog.workshops.presenting import over_limit

# Per 10-second window. A room sends one report a machine per run of check.sh, which takes
# minutes; these stop a runaway script, not a room behind one address (a venue's NAT).
REPORTS_PER_ADDRESS = 20
REPORTS_PER_ROOM = 100


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def join(request, token):
    if request.method == "POST":
        return receive(request, token)
    room = get_object_or_404(CheckRoom.objects.select_related("workshop"), token=token)
    link = request.build_absolute_uri(room.join_url)
    context = {
        "room": room,
        "workshop": room.workshop,
        "curated": room.workshop.source == Workshop.Source.CURATED,
        "command": attendee_command(link),
    }
    return render(request, "workshops/check_join.html", context, status=200 if room.is_open else 410)


def receive(request, token: str) -> HttpResponse:
    """Store one machine's report, or say in one line why not."""
    retry_after = over_limit(f"check-reports:{client_address(request)}", REPORTS_PER_ADDRESS)
    if retry_after:
        return too_many(retry_after, "from this address")
    body = capped_body(request)
    if body is None:
        return answer(413, f"refused: a report has at most {MAX_BYTES} bytes")
    room = CheckRoom.objects.select_related("workshop").filter(token=token).first()
    if room is None:
        return answer(404, "refused: no readiness check has this link; ask the trainer for it again")
    if not room.is_open:
        return answer(403, "refused: the trainer has closed this readiness check")
    retry_after = over_limit(f"check-reports-room:{room.pk}", REPORTS_PER_ROOM)
    if retry_after:
        return too_many(retry_after, "to this readiness check")
    if request.content_type != "application/json":
        return answer(415, "refused: a report is sent as Content-Type: application/json")
    try:
        report = parse_report(body)
    except ReportError as error:
        return answer(400, f"refused: {error}")
    if report.kit.workshop != room.workshop.slug:
        return answer(
            400,
            f"refused: kit.workshop: this check is for the kit of {room.workshop.slug}, "
            f"not {report.kit.workshop}: use the kit the trainer gave you",
        )
    known = room.reports.filter(nickname=report.nickname).exists()
    if not known and room.reports.count() >= MAX_MACHINES:
        return answer(403, f"refused: this readiness check has {MAX_MACHINES} machines already")
    MachineReport.receive(room, report)
    again = " (it replaces this machine's earlier one)" if known else ""
    return answer(
        200, f"received{again}: {report.passed} passed, {report.failed} failed; the trainer sees it now"
    )


def capped_body(request) -> bytes | None:
    """The body, or None when it is longer than a report may be (without reading it, if it says so)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BYTES:
        return None
    body = request.read(MAX_BYTES + 1)
    return None if len(body) > MAX_BYTES else body


def answer(status: int, line: str) -> HttpResponse:
    return HttpResponse(f"{line}\n", status=status, content_type="text/plain; charset=utf-8")


def too_many(retry_after: int, where: str) -> HttpResponse:
    response = answer(429, f"refused: too many reports {where}; send it again in {retry_after} s")
    response["Retry-After"] = str(retry_after)
    return response
