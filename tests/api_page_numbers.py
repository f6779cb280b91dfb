"""What a pattern page shows of an example's proof, read twice: from its HTML, and rebuilt from the API alone.

`from_page` reads the verification panel, the layer list, the lint findings and the commands
out of the page's HTML; `from_api` makes the very same structure from the JSON API's answer, as
a client script would (sizes written the way the page writes them, the words of the API page).
A test asserts the two are equal: every figure the page shows is in the API with its value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

from catalog.verifications.layer_report import CHANGE_LABELS, REASONS
from worker.contract.quantities import format_size

SOURCE_WORDS = {"stand-in": "stand-in built offline", "pulled": "pulled", "missing": "missing"}
COMMAND_WORDS = {"passed": "did what it says", "failed": "did not do what it says", "not run": "not reached"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


# --- the page ---


class Node:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.children = tag, attrs, []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    found.append(child)
                found += child.all(tag, cls)
        return found

    def one(self, tag: str | None = None, cls: str | None = None) -> Node | None:
        found = self.all(tag, cls)
        return found[0] if found else None

    def nodes(self, tag: str | None = None) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and (tag is None or c.tag == tag)]

    @property
    def text(self) -> str:
        """The words inside, whitespace collapsed: what a reader sees (markup adds no space)."""
        return " ".join("".join(c if isinstance(c, str) else c.text for c in self.children).split())

    def by_id(self, wanted: str) -> Node | None:
        if self.attrs.get("id") == wanted:
            return self
        for child in self.nodes():
            found = child.by_id(wanted)
            if found is not None:
                return found
        return None


class Tree(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def facts(dl: Node | None) -> dict[str, str]:
    if dl is None:
        return {}
    return {item.one("dt").text: item.one("dd").text for item in dl.nodes("div")}


def from_page(html: str, example_slug: str) -> dict:
    page = Tree(html).root
    panel = page.by_id(f"verification-{example_slug}")
    assert panel is not None, f"no verification panel for {example_slug}"
    result = panel.one("div", "verification__result")
    found: dict = {
        "status": panel.attrs["class"].split("verification--")[-1],
        "commands": page_commands(page, example_slug),
    }
    found["lint_lines"] = sorted(
        (figure.one("span", "file__path").text, int(line.attrs["id"].rsplit("-", 1)[1]))
        for figure in page.by_id(f"example-{example_slug}").all("figure", "file")
        for line in figure.all("span", "line--lint")
    )
    if result is None:
        return found
    found["headline"] = result.one("p", "verification__summary").one("strong").text
    found["facts"] = {
        name: value
        for name, value in facts(result.one("dl", "facts")).items()
        if not name.startswith("Base image")
    }
    found["bases"] = (
        [
            (item.one("code").text, item.one("span", "base-source").text, codes_titles(item))
            for item in result.all("ul", "bases")[0].nodes("li")
        ]
        if result.one("ul", "bases")
        else []
    )
    table = result.one("table", "checks")
    found["checks_caption"] = table.one("caption").text if table else ""
    found["checks"] = [page_check(row) for row in table.all("tr", "check")] if table else []
    builds = result.one("details", "builds")
    found["builds"] = (
        [
            (title.text, [(int(step.attrs["value"]), step.text) for step in steps.nodes("li")])
            for title, steps in zip(builds.all("h6"), builds.all("ol", "build-steps"), strict=True)
        ]
        if builds
        else []
    )
    sides = result.one("section", "before-after")
    found["before_after"] = (
        [
            (side.one("h6").text, [check.text for check in side.one("ul").nodes("li")])
            for side in sides.all("div", "before-after__side")
        ]
        if sides
        else None
    )
    found["comparisons"] = [
        (
            section.one("h5").text,
            [[cell.text for cell in row.nodes()] for row in section.one("tbody").nodes("tr")],
        )
        for section in result.all("section", "comparison")
        if "before-after" not in section.classes
    ]
    found["images"] = [page_image(section) for section in result.all("section", "image-facts")]
    return found


def page_check(row: Node) -> list[str]:
    step, check, expected, observed, verdict = row.nodes("td")
    detail = check.one("span", "check__detail")
    name = check.one("code", "check__name").text
    return [
        step.text,
        f"{name} {detail.text}" if detail else name,
        expected.text,
        observed.text,
        verdict.text,
    ]


def codes_titles(node: Node) -> list[str]:
    return [code.attrs["title"] for code in node.all("code") if "title" in code.attrs]


def page_image(section: Node) -> dict:
    history = section.one("table", "history__table")
    image = {
        "title": section.one("h5").text,
        "facts": facts(section.one("dl", "facts")),
        "history": [[cell.text for cell in row.nodes("td")] for row in history.all("tr") if row.nodes("td")]
        if history
        else [],
        "sizes": [dot.one("title").text for dot in section.all("circle", "size-chart__dot")],
    }
    layers = section.one("section", "layers")
    if layers is None:
        return image
    image["layer_facts"] = facts(layers.one("dl", "facts"))
    image["lint"] = [finding.text for finding in layers.all("li", "lint__finding")]
    waste = layers.one("table", "layers__table")
    image["waste"] = (
        [[cell.text for cell in row.nodes("td")] for row in waste.all("tr") if row.nodes("td")]
        if waste
        else []
    )
    image["layers"] = [
        (
            item.one("div", "layer-list__head").text,
            (item.one("p", "layer-list__changes").text if item.one("p", "layer-list__changes") else ""),
            files_link(item),
        )
        for item in layers.all("li", "layer-list__layer")
    ]
    return image


def files_link(item: Node) -> tuple | None:
    link = item.one("a", "layer-list__files")
    if link is None:
        return None
    match = re.search(r"/verifications/(\d+)/images/([\w-]+)/layers/(\d+)/files", link.attrs["href"])
    return (int(match[1]), match[2], int(match[3]))


def page_commands(page: Node, example_slug: str) -> list[tuple]:
    example = page.by_id(f"example-{example_slug}")
    listing = example.one("ol", "commands__list") if example else None
    if listing is None:
        return []
    found = []
    for item in listing.nodes("li"):
        summary = item.one("summary")
        expect = item.one("p", "command__expect")
        found.append(
            (
                item.one("span", "command__title").text,
                item.one("code").text,
                expect.text if expect else "",
                summary.text if summary else "",
            )
        )
    return found


# --- the same, from the API's answer alone ---


def from_api(example: dict) -> dict:
    shown = example["last_result"]
    found: dict = {"status": example["status"], "commands": api_commands(example)}
    images = shown["images"] if shown else {}
    found["lint_lines"] = sorted(
        {
            (image["dockerfile"], finding["line"])
            for image in images.values()
            for finding in lint_findings(image)
            if image["dockerfile"]
        }
    )
    if shown is None:
        return squeezed(found)
    found["headline"] = shown["headline"]
    environment, engine = shown["environment"] or {}, shown["engine"]
    version = environment.get("engine_version") or engine.get("version", "")
    os_name, arch = (
        environment.get("os") or engine.get("os", ""),
        environment.get("arch") or engine.get("arch", ""),
    )
    found["facts"] = {}
    if shown["finished_at"]:
        found["facts"]["Finished"] = f"{moment(shown['finished_at']):%Y-%m-%d %H:%M} UTC"
    if shown["duration"] is not None:
        attempt = f" (attempt {shown['attempt']})" if shown["attempt"] > 1 else ""
        found["facts"]["Took"] = duration_text(shown["duration"]) + attempt
    if version:
        found["facts"]["Engine"] = f"Docker {version}" + (f" {os_name}/{arch}" if os_name or arch else "")
    found["bases"] = [
        (
            base["ref"],
            SOURCE_WORDS.get(base["source"], "local image"),
            [base["digest"]] * bool(base["source"] == "pulled" and base["digest"])
            + [base["image_id"]] * bool(base["image_id"]),
        )
        for base in shown["bases"]
    ]
    titles = {step["index"]: step["title"] for step in shown["steps"]}
    checks = shown["checks"]
    found["checks_caption"] = (
        f"Checks {sum(c['passed'] for c in checks)} of {len(checks)} passed" if checks else ""
    )
    found["checks"] = [
        [
            f"{check['step_index'] + 1} {titles.get(check['step_index'], check['action'])}",
            f"{check['name']} {check['detail']}" if check["detail"] else check["name"],
            check["expected"],
            check["observed"] or "(nothing)",
            "Passed" if check["passed"] else "Failed",
        ]
        for check in checks
    ]
    found["builds"] = [
        (
            f"Image {build['image']}: {build['duration']:.1f} s, {build['cached_steps']} of "
            f"{len(build['steps'])} step{'s' if len(build['steps']) != 1 else ''} from the cache"
            + ("" if build["ok"] else ", failed"),
            [
                (step["number"], f"{step['instruction']} {'from the cache' if step['cached'] else 'built'}")
                for step in build["steps"]
            ],
        )
        for build in shown["builds"]
    ]
    found["before_after"] = api_sides(shown["before_after"])
    found["comparisons"] = [api_comparison(comparison) for comparison in shown["comparisons"]]
    found["images"] = [
        api_image(name, image, example["size_history"].get(name, [])) for name, image in images.items()
    ]
    return squeezed(found)


def squeezed(value):
    """Every text with its whitespace collapsed, as a reader sees it on the page."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {key: squeezed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(squeezed(item) for item in value)
    return value


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def duration_text(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def api_sides(sides: dict | None) -> list | None:
    if sides is None:
        return None
    found = []
    for side in (sides["before"], sides["after"]):
        checks = [
            f"{c['step']} {c['step_title']}: {c['name']} {truncated(c['observed'] or '(nothing)')} "
            + ("as expected" if c["passed"] else "not as expected")
            for c in side["checks"]
        ]
        found.append((side["heading"], checks or ["No checks on this side."]))
    return found


def truncated(text: str, length: int = 160) -> str:
    """Django's truncatechars: the text cut to `length` characters, the last of them an ellipsis."""
    return text if len(text) <= length else text[: length - 1] + "…"


MEASURES = (
    ("Image size", "size", format_size),
    ("Added by the Dockerfile", "own", format_size),
    ("Layers", "layers", str),
    ("Reclaimable bytes", "reclaimable", format_size),
    ("Build time", "build_time", lambda seconds: f"{seconds:.1f} s"),
    ("Steps from the cache", "cached_steps", None),
    ("Stop time", "stop_time", lambda seconds: f"{seconds:.1f} s"),
)


def api_comparison(comparison: dict) -> tuple:
    left, right = comparison["left_measures"], comparison["right_measures"]
    changes = {row["label"]: row for row in comparison["rows"]}
    rows = []
    for label, key, write in MEASURES:
        if left[key] is None and right[key] is None:
            continue
        if write is None:
            texts = [
                f"{m['cached_steps']} of {m['steps']} steps" if m["steps"] is not None else "-"
                for m in (left, right)
            ]
        else:
            texts = ["-" if m[key] is None else write(m[key]) for m in (left, right)]
        better = changes[label]["better"]
        rows.append(
            [
                label,
                texts[0] + (" better" if better == "left" else ""),
                texts[1] + (" better" if better == "right" else ""),
                changes[label]["change"] or "same",
            ]
        )
    count = comparison["differences"]
    plural = "s" if count != 1 else ""
    title = f"Compared: {comparison['left']} and {comparison['right']} {count} difference{plural}"
    return (title, rows)


def lint_findings(image: dict) -> list[dict]:
    analysis = image["analysis"]
    return (
        list(analysis["lint"]["findings"]) if analysis and analysis["lint"] and not analysis["error"] else []
    )


def api_image(name: str, image: dict, sizes: list[dict]) -> dict:
    found_facts = {"Added by the Dockerfile": format_size(image["own_size"])}
    base = f"From the base {image['base_ref']}" if image["base_ref"] else "From the base"
    told = image["base_matched"] or image["base_ref"] == "scratch"
    found_facts[base] = format_size(image["base_size"]) if told else "not told apart"
    found_facts["Layers"] = str(image["layers"])
    if image["id"]:
        found_facts["Image ID"] = image["id"].rsplit(":", 1)[-1][:12]
    if image["user"]:
        found_facts["Runs as"] = image["user"]
    found = {
        "title": f"Image {name} {format_size(image['size'])}",
        "facts": found_facts,
        "history": [
            [
                (row["instruction"] or row["created_by"] or "(empty)") + (" base" if row["base"] else ""),
                format_size(row["size"]),
                f"{datetime.fromtimestamp(row['created'], tz=UTC):%Y-%m-%d %H:%M}"
                if row["created"] > 0
                else "",
            ]
            for row in image["history"]
        ],
        "sizes": (
            [
                f"{moment(point['finished_at']):%Y-%m-%d %H:%M}: {format_size(point['size'])}"
                for point in sizes
            ]
            if len(sizes) >= 2
            else []
        ),
    }
    analysis = image["analysis"]
    if analysis is None:
        return found
    if analysis["error"]:
        found.update(layer_facts={}, lint=[], waste=[], layers=[])
        return found
    found["layer_facts"] = {
        "Reclaimable": format_size(analysis["reclaimable_bytes"]),
        "Efficiency": f"{analysis['efficiency'] * 100:.1f} %",
        "Reclaimable in the Dockerfile's own layers": format_size(analysis["own_reclaimable_bytes"]),
        "Duplicate files": format_size(analysis["duplicate_bytes"]),
    }
    found["lint"] = [
        " ".join(
            [
                f"{image['dockerfile']} line {f['line']}" if image["dockerfile"] else f"line {f['line']}",
                f["code"],
                f["level"],
                f["message"],
                f"costs {format_size(f['wasted_bytes'])} in its layer" if f["wasted_bytes"] else "",
            ]
        ).strip()
        for f in lint_findings(image)
    ]
    found["waste"] = [
        [
            e["path"],
            format_size(e["bytes"]),
            REASONS.get(e["reason"], e["reason"]),
            f"{e['written_by']} → {e['hidden_by']}",
        ]
        for e in analysis["edges"]
    ]
    found["layers"] = [api_layer(layer) for layer in analysis["layers"]]
    return found


def api_layer(layer: dict) -> tuple:
    head = [layer["instruction"] or layer["created_by"] or "(no instruction)"]
    if layer["base"]:
        head.append("base")
    head.append(format_size(layer["content_bytes"]))
    if layer["reclaimable_bytes"]:
        head.append(f"{format_size(layer['reclaimable_bytes'])} reclaimable")
    changes = " · ".join(
        f"{layer['totals'][kind]['count']} {label} ({format_size(layer['totals'][kind]['bytes'])})"
        for kind, label in CHANGE_LABELS.items()
        if kind in layer["totals"] and layer["totals"][kind]["count"]
    )
    files = None
    if layer["files_url"]:
        match = re.search(
            r"/verifications/(\d+)/images/([\w-]+)/layers/(\d+)/files\.json$", layer["files_url"]
        )
        files = (int(match[1]), match[2], int(match[3]))
    return (" ".join(head), changes, files)


def api_commands(example: dict) -> list[tuple]:
    found = []
    for command in example["commands"]:
        says = command["exit_code"] != 0 or bool(command["output_contains"])
        result = command["result"]
        summary = ""
        if result is not None and result["status"] != "not run":
            ended = f"exit {result['exit_code']}" if result["exit_code"] is not None else "stopped"
            seconds = Decimal(repr(result["duration"])).quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )  # floatformat:1
            words = COMMAND_WORDS.get(result["status"], result["status"])
            summary = f"{words[:1].upper()}{words[1:]}: {ended} in {seconds} s" + (
                f" ({result['detail']})" if result["detail"] else ""
            )
        found.append(
            (command["title"], command["run"], f"Expected: {command['expected']}" if says else "", summary)
        )
    return found
