"""A workshop as a file and back: download one as <slug>.yaml, upload one; and copy one to start from."""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog.serving.page_cache import page_cached
from catalog.workshops.builder_forms import UploadForm
from catalog.workshops.builder_views import builder_url
from catalog.workshops.export import workshop_source, workshop_yaml
from catalog.workshops.models import Workshop
from catalog.workshops.owned import save_as_own, visible_workshop
from catalog.workshops.uploads import MAX_BYTES, published_catalog, read_upload


@page_cached
def export_workshop(request, slug):
    workshop = visible_workshop(request, slug, Workshop.objects.with_agenda())
    text = workshop_yaml(workshop_source(workshop), published_catalog())
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{workshop.slug}.yaml"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_workshop(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = PurePath(upload.name).name[:100]
        # One byte past the cap tells a file that is too big, without reading all of it.
        source, problems = read_upload(upload.read(MAX_BYTES + 1), name)
        if source is not None:
            workshop = save_as_own(source, request.user)
            messages.success(request, f"“{workshop.title}” imported from {name}.")
            return redirect(builder_url(workshop))
        form.add_error("file", f"{name} was not imported: fix what is listed below and upload it again.")
    return render(request, "workshops/builder/import.html", {"form": form, "problems": problems})


@login_required
@require_http_methods(["GET", "POST"])
def copy_workshop(request, slug):
    """A confirmation page (reached by a plain link from a cached page), then the copy by POST."""
    original = visible_workshop(request, slug, Workshop.objects.with_agenda())
    if request.method == "POST":
        workshop = save_as_own(workshop_source(original), request.user)
        messages.success(
            request, f"“{original.title}” copied to your workshops: this copy is yours to change."
        )
        return redirect(builder_url(workshop))
    return render(request, "workshops/builder/copy.html", {"workshop": original})
