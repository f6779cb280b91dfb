"""The API's page: every endpoint, its parameters, and an example that is its real answer for the catalog."""

import html
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from catalog.api.docs import abridged
from catalog.api.openapi import ENDPOINTS
from catalog.content.importer import sync_patterns
from catalog.models import Example, ImageLayers
from tests.api_checks import stored_analysis
from tests.verification_results import finished

pytestmark = pytest.mark.django_db

STORED_V0 = Path(__file__).parent / "data" / "result-v0-image-layer-architecture.json"
EXAMPLE = re.compile(
    r'<pre class="log__text api-example" id="([\w-]+)-example" tabindex="0" aria-label="[^"]+">'
    r"<code>(.*?)</code></pre>",
    re.S,
)


@pytest.fixture
def real_catalog():
    assert sync_patterns(settings.PATTERNS_DIR).ok


def shown_examples(client) -> dict[str, tuple[str, object]]:
    """Endpoint name -> (the example's URL, its answer as the page shows it)."""
    page = client.get("/api/").content.decode()
    urls = dict(
        re.findall(r'<section class="api-endpoint" id="([\w-]+)".*?Example: <a href="([^"]+)">', page, re.S)
    )
    return {name: (urls[name], json.loads(html.unescape(text))) for name, text in EXAMPLE.findall(page)}


def test_each_endpoint_is_shown_with_its_real_answer_for_the_catalog(client, real_catalog):
    example = Example.objects.get(pattern__slug="image-layer-architecture")
    verification = finished(example, "passed", json.loads(STORED_V0.read_text()))
    layers = [
        ("RUN groupadd app", [("etc/group", b"app:x:10001:\n")]),
        ("RUN echo", [("app/main.py", b"print(1)\n")]),
    ]
    ImageLayers.objects.create(
        verification=verification, image_name="orders", analysis=stored_analysis(layers)
    )
    shown = shown_examples(client)
    assert set(shown) == {endpoint.name for endpoint in ENDPOINTS}
    for name, (url, answer) in shown.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert answer == abridged(response.json()), f"the example of {name} is not its answer now"
    assert shown["api-v1-pattern-detail"][0].endswith("/api/v1/patterns/image-layer-architecture.json")
    detail = shown["api-v1-pattern-detail"][1]
    orders = detail["examples"][0]["last_result"]["images"]["orders"]
    assert orders["analysis"]["reclaimable_bytes"] == 3384 and orders["analysis"]["lint"]["findings"]
    # The first layer of the Dockerfile's own that changed files (layer 0 is the base's).
    url = f"/verifications/{verification.pk}/images/orders/layers/1/files.json"
    assert shown["api-v1-layer-files"][0].endswith(url)
    assert len(shown["api-v1-pattern-list"][1]["patterns"]) == 2  # cut, as the page says
    # Change the catalog and the page follows: its examples are made when it is.
    finished(example, "failed", None, minutes_ago=1, failure_reason="BUILD_FAILED", detail="it broke")
    cache.clear()
    again = shown_examples(client)
    assert again["api-v1-pattern-detail"][1]["examples"][0]["last_result"]["state"] == "failed"


def test_the_page_is_linked_from_every_page_and_reads_well_without_a_kept_layer(client, real_catalog):
    home = client.get("/").content.decode()
    assert home.count('href="/api/"') == 2  # the menu and the footer
    page = client.get("/api/").content.decode()
    assert 'aria-current="page"' in page and page.count("<h1") == 1
    assert '<a href="/api/v1/openapi.json">OpenAPI 3.1 document</a>' in page
    for endpoint in ENDPOINTS:
        assert f"<code>GET {endpoint.path}</code>" in page
    assert "No example yet" in page  # no verification has kept its layers
    assert len(EXAMPLE.findall(page)) == len(ENDPOINTS) - 1
    assert re.search(
        r"<th scope=\"row\"><code>state</code></th>.*?<code>running</code>, <code>passed</code>", page, re.S
    )
    assert "Deleted by a later layer" in page and "Re-stored (mode or owner)" in page
