#!/usr/bin/env python3
"""mdlite 2.0: like 1.0, plus a table of contents built from the level-two headings."""

import argparse
import html

VERSION = "2.0"


def anchor(title):
    return "-".join(title.lower().split())


def convert(text):
    parts, toc = [], []
    for block in text.strip().split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            title = block[3:]
            toc.append(f'<li><a href="#{anchor(title)}">{html.escape(title)}</a></li>')
            parts.append(f'<h2 id="{anchor(title)}">{html.escape(title)}</h2>')
        elif block.startswith("# "):
            parts.append(f"<h1>{html.escape(block[2:])}</h1>")
        elif block:
            parts.append(f"<p>{html.escape(' '.join(block.split()))}</p>")
    nav = '<nav class="toc"><ul>' + "".join(toc) + "</ul></nav>"
    return "\n".join([*parts[:1], nav, *parts[1:]]) + "\n"


def main():
    parser = argparse.ArgumentParser(prog="mdlite")
    parser.add_argument("--version", action="version", version=f"mdlite {VERSION}")
    parser.add_argument("source")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    with open(args.source, encoding="utf-8") as source:
        page = convert(source.read())
    with open(args.output, "w", encoding="utf-8") as output:
        output.write(f"<!-- mdlite {VERSION} -->\n" + page)
    print(f"mdlite {VERSION}: wrote {args.output}")


main()
