"""slugger: turn a title into a URL slug ("Hello, World!" -> "hello-world")."""

import re
import sys


def slugify(text):
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


if __name__ == "__main__":
    print(slugify(" ".join(sys.argv[1:])))
