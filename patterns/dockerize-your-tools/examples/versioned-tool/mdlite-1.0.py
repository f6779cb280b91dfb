#!/usr/bin/env python3
"""mdlite 1.0: turn a tiny subset of Markdown (headings, paragraphs) into HTML."""

import argparse
import html

VERSION = "1.0"


def convert(text):
    parts = []
    for block in text.strip().split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            parts.append(f"<h2>{html.escape(block[3:])}</h2>")
        elif block.startswith("# "):
            parts.append(f"<h1>{html.escape(block[2:])}</h1>")
        elif block:
            parts.append(f"<p>{html.escape(' '.join(block.split()))}</p>")
    return "\n".join(parts) + "\n"


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
