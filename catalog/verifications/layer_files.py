"""One folder of one layer's changes: the lazily opened file tree of the layer list.

HTML for a reader without JavaScript (each folder a link one level down), JSON for the
page's script, which opens folders in place. Both read the stored full analysis.
"""

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import ImageLayers
from catalog.serving.page_cache import page_cached
from catalog.verifications.layer_report import CHANGE_LABELS
from worker.contract.analysis import ImageLayerDetails, LayerDetail
from worker.contract.codec import from_json
from worker.contract.quantities import format_size
from worker.layers.entries import normalise_path
from worker.layers.results import change_tree
from worker.layers.stack import Change


def stored_layer(pk: int, image: str, layer: int) -> LayerDetail:
    """One layer of an image's kept full analysis, with its change list; Http404 when there is none.

    The page's file tree and the JSON API's paged file list both read it here.
    """
    stored = get_object_or_404(ImageLayers, verification_id=pk, image_name=image)
    details = from_json(ImageLayerDetails, stored.analysis, f"ImageLayers {stored.pk}")
    if not 0 <= layer < len(details.layers):
        raise Http404("no such layer")
    return details.layers[layer]


@require_GET
@page_cached
def layer_files(request, pk: int, image: str, layer: int):
    shown = stored_layer(pk, image, layer)
    under = normalise_path(request.GET.get("under", "/")) or "/"
    # change_tree is the engine's one rule for folding a change list into folders; it takes the
    # engine's Change, whose fields the stored FileChange has by the same names.
    changes = (Change(**vars(change)) for change in shown.changes)
    entries = [
        {
            **child,
            "bytes_text": format_size(child["bytes"]),
            "label": CHANGE_LABELS.get(child["change"], ""),
            "url": f"{request.path}?under={child['path']}" if child["type"] == "dir" else "",
        }
        for child in change_tree(changes, under)
    ]
    if request.GET.get("format") == "json":
        return JsonResponse({"under": under, "entries": entries})
    parent = under.rsplit("/", 1)[0] or "/"
    context = {
        "verification": pk,
        "image": image,
        "layer": shown,
        "under": under,
        "parent_url": f"{request.path}?under={parent}" if under != "/" else "",
        "entries": entries,
        "truncated": shown.changes_truncated,
    }
    return render(request, "catalog/layer_files.html", context)
