"""Server-made SVG: the layer chart and the status badge are accessible, well-formed and escape all text."""

import xml.etree.ElementTree as ET

from catalog.verifications.charts import layer_chart_svg, status_badge_svg, text_width
from worker.contract.quantities import format_size

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</text><script>alert(1)</script><text x="0">"quoted" & <b>bold</b>'
LAYERS = [
    ("ADD file:0b1 in /", 1_990_000, True),
    ('CMD ["sh"]', 12, True),
    ("COPY hello.sh /hello.sh", 396, False),
    ("RUN apt-get install -y curl", 24_500_000, False),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def bars(root: ET.Element) -> list[ET.Element]:
    """The bars of the rows, without the legend's two swatches."""
    return [
        rect
        for row in root.iter(f"{SVG}g")
        if "chart__row" in classes(row)
        for rect in row.iter(f"{SVG}rect")
    ]


def test_one_bar_per_layer_with_base_layers_muted():
    root = parse(layer_chart_svg(LAYERS, title="Layer sizes of image app"))
    drawn = bars(root)
    assert len(drawn) == len(LAYERS)
    assert [("chart__bar--base" in classes(bar)) for bar in drawn] == [base for *_, base in LAYERS]
    assert all("chart__bar--own" in classes(bar) for bar in drawn[2:])
    # Widths follow the sizes: the biggest layer has the longest bar, a tiny one still shows.
    widths = [float(bar.get("width")) for bar in drawn]
    assert widths[3] == max(widths)
    assert widths[0] > widths[2] > 0 and widths[1] > 0


def test_sizes_are_labelled_in_human_units():
    svg = layer_chart_svg(LAYERS)
    root = parse(svg)
    values = [text.text for text in root.iter(f"{SVG}text") if "chart__value" in classes(text)]
    assert values == [format_size(size) for _, size, _ in LAYERS]
    assert "24.5 MB" in values and "396 B" in values


def test_chart_is_accessible():
    root = parse(layer_chart_svg(LAYERS, title="Layer sizes of image app"))
    assert root.get("role") == "img"
    assert root.get("aria-label").startswith("Layer sizes of image app. 4 layers: 2 from the base image")
    children = list(root)
    assert children[0].tag == f"{SVG}title" and children[0].text == "Layer sizes of image app"
    assert children[1].tag == f"{SVG}desc" and "2 added by the Dockerfile (24.5 MB)" in children[1].text
    # Each row says what it is when hovered or read out: the full label, size and origin.
    row_titles = [
        row.find(f"{SVG}title").text for row in root.iter(f"{SVG}g") if "chart__row" in classes(row)
    ]
    assert row_titles[0] == "ADD file:0b1 in /: 1.99 MB (base image)"
    assert row_titles[2] == "COPY hello.sh /hello.sh: 396 B (this Dockerfile)"


def test_labels_and_title_are_escaped():
    svg = layer_chart_svg([(HOSTILE, 100, False), ("ok", 50, True)], title=HOSTILE)
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;/text&gt;&lt;script&gt;" in svg
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    assert root.find(f"{SVG}title").text == HOSTILE  # escaped in the markup, intact as text
    assert len(bars(root)) == 2


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip():
    label = "RUN " + "x" * 200
    root = parse(layer_chart_svg([(label, 10, False)]))
    shown = [text.text for text in root.iter(f"{SVG}text") if "chart__label" in classes(text)]
    assert len(shown[0]) <= 60 and shown[0].endswith("…")
    assert (
        next(g for g in root.iter(f"{SVG}g") if "chart__row" in classes(g))
        .find(f"{SVG}title")
        .text.startswith(label)
    )


def test_no_style_attributes_or_elements():
    """The site's CSP (style-src 'self') would drop them: presentation attributes and classes only."""
    for svg in (layer_chart_svg(LAYERS), status_badge_svg("verified", "passed", "passed")):
        root = parse(svg)
        for element in root.iter():
            assert "style" not in element.attrib, element.tag
            assert element.tag != f"{SVG}style"


def test_an_empty_chart_says_so():
    root = parse(layer_chart_svg([]))
    assert not bars(root)
    assert "No layer adds any bytes." in "".join(root.itertext())


def test_badge_is_well_formed_coloured_and_escaped():
    passed = parse(status_badge_svg("verified", "passed", "passed"))
    failed = parse(status_badge_svg("verified", "failed", "failed"))
    assert passed.get("aria-label") == "verified: passed"
    fills = {rect.get("fill") for rect in passed.iter(f"{SVG}rect")}
    assert "#2e7d32" in fills
    assert "#c62828" in {rect.get("fill") for rect in failed.iter(f"{SVG}rect")}
    hostile = status_badge_svg("<b>", HOSTILE, "unknown tone")
    assert "<script" not in hostile and "<b>" not in hostile
    root = parse(hostile)
    assert HOSTILE in [text.text for text in root.iter(f"{SVG}text")]
    assert "#5f6975" in {rect.get("fill") for rect in root.iter(f"{SVG}rect")}  # unknown tone: grey


def test_badge_grows_with_its_text():
    short = parse(status_badge_svg("verified", "passed", "passed"))
    long = parse(status_badge_svg("verified", "not verified", "none"))
    assert int(long.get("width")) > int(short.get("width"))
    assert text_width("mmm") > text_width("iii")
