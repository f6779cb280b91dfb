"""A layer's files one folder at a time, read from the stored full analysis through its contract type."""

import re

import pytest

from tests.api_checks import stored_analysis
from worker.contract.analysis import ImageLayerDetails
from worker.contract.codec import ContractError, from_json, to_json
from worker.layers.results import change_tree

LISTS = 123_456
LAYERS = (
    ("RUN apt-get update", [("etc/hostname", b"box\n"), ("var/lib/apt/lists/fake_Packages", b"x" * LISTS)]),
    ("RUN rm /var/lib/apt/lists/fake_Packages", [("var/lib/apt/lists/.wh.fake_Packages", b"")]),
)


def full_analysis() -> dict:
    """What the worker stores in ImageLayers for an image of LAYERS, from a `docker save` made here."""
    return stored_analysis(list(LAYERS))


def test_the_full_analysis_the_worker_stores_reads_typed_and_loses_nothing_the_site_reads():
    stored = full_analysis()
    details = from_json(ImageLayerDetails, stored)
    assert [change.path for change in details.layers[0].changes] == [
        "/etc/hostname",
        "/var/lib/apt/lists/fake_Packages",
    ]
    assert details.layers[1].changes[0].change == "removed" and details.edges[0].reason == "deleted"
    # Every stored field is typed but the history, which lint reads before the analysis is stored.
    assert to_json(details) == {key: value for key, value in stored.items() if key != "history"}


@pytest.fixture
def stored_layers(example):
    from catalog.models import ImageLayers, Verification

    verification = Verification.objects.create(
        example=example, example_hash=example.content_hash, state="passed", attempt=1
    )
    return ImageLayers.objects.create(verification=verification, image_name="app", analysis=full_analysis())


@pytest.mark.django_db
def test_a_layer_opens_one_folder_at_a_time_as_a_page_and_as_json(client, stored_layers):
    base = f"/verifications/{stored_layers.verification_id}/images/app/layers/0/files"
    listing = client.get(f"{base}?under=/var/lib/apt&format=json").json()
    assert listing == {
        "under": "/var/lib/apt",
        "entries": [
            {
                "name": "lists",
                "path": "/var/lib/apt/lists",
                "type": "dir",
                "change": "",
                "bytes": LISTS,
                "changes": {"added": 1},
                "bytes_text": "123 kB",
                "label": "",
                "url": f"{base}?under=/var/lib/apt/lists",
            }
        ],
    }
    # The same folding as the engine's on the stored change list itself.
    stored = stored_layers.analysis["layers"][0]["changes"]
    assert [entry["name"] for entry in client.get(f"{base}?format=json").json()["entries"]] == [
        child["name"] for child in change_tree(stored, "/")
    ]
    html = client.get(f"{base}?under=/var/lib/apt/lists").content.decode()
    assert "<code>RUN apt-get update</code>" in html and "up one folder" in html
    assert re.search(
        r'file-tree__entry--file file-tree__entry--added">\s*<span class="file-tree__name">fake_Packages',
        html,
    )
    assert "changed more files than are kept" not in html
    assert client.get(f"{base[: -len('0/files')]}2/files").status_code == 404


@pytest.mark.django_db
def test_a_misspelt_field_in_a_stored_analysis_is_named_instead_of_shown_as_a_dash(client, stored_layers):
    change = stored_layers.analysis["layers"][0]["changes"][1]
    change["byte"] = change.pop("bytes")
    stored_layers.save()
    url = f"/verifications/{stored_layers.verification_id}/images/app/layers/1/files"
    expected = f"ImageLayers {stored_layers.pk}.layers[0].changes[1].bytes: missing"
    with pytest.raises(ContractError, match=re.escape(expected)):
        client.get(url)
