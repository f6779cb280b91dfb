"""Write small, valid pattern trees for tests; each piece can be overridden to make it invalid."""

from pathlib import Path

import yaml

from catalog.content.taxonomy import SECTIONS

BASES = {"bases": [{"image": "busybox:1.35", "purpose": "tests", "offline": {"recipe": "busybox-static"}}]}
DOCKERFILE = 'FROM busybox:1.35\nCOPY hello.sh /hello.sh\nENTRYPOINT ["/hello.sh"]\n'
SCRIPT = "#!/bin/sh\necho hello from the example\n"


def body(extra: str = "") -> str:
    sections = [f"## {section}\n\nText about {section.lower()}.\n" for section in SECTIONS]
    return extra + "\n" + "\n".join(sections)


def front_matter(slug: str, **overrides) -> dict:
    meta = {
        "name": slug.replace("-", " ").title(),
        "symbol": (slug[:1].upper() + slug[1:3]).replace("-", "x"),
        "categories": ["runtime"],
        "kind": "pattern",
        "summary": f"Summary of {slug}.",
        "sources": [{"title": "Containers Patterns", "author": "Mario Loriedo"}],
    }
    meta.update(overrides)
    return {key: value for key, value in meta.items() if value is not None}


def scenario(**overrides) -> dict:
    data = {
        "title": "Says hello",
        "summary": "Runs the script and reads what it prints.",
        "images": {"app": {"dockerfile": "Dockerfile"}},
        "steps": [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "hello"}}],
        "commands": [
            {"title": "Build and run it", "run": "docker build -t hello . && docker run --rm hello"}
        ],
    }
    data.update(overrides)
    return data


def measured_scenario() -> dict:
    """An anti-pattern's example: the mistake, then its fix, marked as the run's two sides."""
    run = {"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "hello"}}
    return scenario(steps=[{"side": "before", **run}, {"side": "after", **run}])


def write_anti_pattern(root: Path, fixed_by: str, example: dict | None = None, slug: str = "bad") -> Path:
    """An anti-pattern fixed by `fixed_by`, measured against the fix unless `example` says otherwise."""
    related = [{"pattern": fixed_by, "relation": "fixed-by"}]
    return write_pattern(
        root, slug, symbol="Bd", kind="anti-pattern", related=related, example=example or measured_scenario()
    )


def write_bases(root: Path, data: dict | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "bases.yaml").write_text(yaml.safe_dump(data or BASES))


def write_pattern(
    root: Path,
    slug: str,
    *,
    meta: dict | None = None,
    text: str | None = None,
    example: dict | None = None,
    files: dict[str, str] | None = None,
    **meta_overrides,
) -> Path:
    """A pattern folder with one example; `text` replaces the whole README."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    if text is None:
        text = "---\n" + yaml.safe_dump(meta or front_matter(slug, **meta_overrides)) + "---\n" + body()
    (folder / "README.md").write_text(text)
    example_dir = folder / "examples" / "hello"
    example_dir.mkdir(parents=True, exist_ok=True)
    (example_dir / "example.yaml").write_text(yaml.safe_dump(example or scenario(), sort_keys=False))
    for name, content in (files or {"Dockerfile": DOCKERFILE, "hello.sh": SCRIPT}).items():
        (example_dir / name).write_text(content)
    if (example_dir / "hello.sh").exists():
        (example_dir / "hello.sh").chmod(0o755)
    write_mutant(example_dir)
    return folder


def write_mutant(example_dir: Path, undoes: str = "The script no longer says hello.") -> None:
    """The mutant every example keeps: here the script with its greeting taken out."""
    mutant = example_dir / "mutant"
    mutant.mkdir(exist_ok=True)
    (mutant / "mutant.yaml").write_text(yaml.safe_dump({"undoes": undoes}))
    (mutant / "hello.sh").write_text("#!/bin/sh\necho goodbye\n")
    (mutant / "hello.sh").chmod(0o755)


def write_tree(root: Path, count: int = 3) -> list[str]:
    """A valid tree of `count` patterns with distinct symbols; returns their slugs."""
    write_bases(root)
    slugs = []
    for index in range(count):
        slug = f"pattern-{index}"
        write_pattern(root, slug, symbol=symbol_for(index), name=f"Pattern number {index}")
        slugs.append(slug)
    return slugs


def symbol_for(index: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "P" + letters[index // 26 % 26] + letters[index % 26]


def typed_readme(slug: str, symbol: str) -> dict[str, str]:
    """A README's fields as the contributor's editor takes them: lists typed as YAML text."""
    meta = front_matter(slug, symbol=symbol)
    return {
        "name": meta["name"],
        "symbol": meta["symbol"],
        "categories": "[runtime]",
        "kind": "pattern",
        "summary": meta["summary"],
        "sources": yaml.safe_dump(meta["sources"]),
    }


GOODBYE = "#!/bin/sh\necho goodbye\n"  # the mutant's script: the hello is gone


def draft_example(
    *, dockerfile: str = DOCKERFILE, scenario_data: dict | None = None, mutant_script: str = GOODBYE
) -> dict[str, tuple[str, bool]]:
    """The files of a submitted example `hello` (busybox says hello) and its mutant, by path in the folder."""
    return {
        "examples/hello/Dockerfile": (dockerfile, False),
        "examples/hello/hello.sh": (SCRIPT, True),
        "examples/hello/example.yaml": (yaml.safe_dump(scenario_data or scenario(), sort_keys=False), False),
        "examples/hello/mutant/mutant.yaml": (yaml.safe_dump({"undoes": "It no longer says hello."}), False),
        "examples/hello/mutant/hello.sh": (mutant_script, True),
    }
