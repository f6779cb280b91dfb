"""banner 1.2: draws a box around lines of text (a stand-in for a third-party library).

It is copied into the image at build time, like a vendored dependency or an
uber-jar, so the container never downloads anything when it starts.
"""

VERSION = "1.2"


def boxed(text: str, width: int) -> str:
    inner = max(width - 4, len(text))
    top = "+" + "-" * (inner + 2) + "+"
    return "\n".join([top, f"| {text.center(inner)} |", top])
