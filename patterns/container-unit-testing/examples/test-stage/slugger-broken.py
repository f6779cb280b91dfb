"""slugger with a bug: punctuation is kept, so "Hello, World!" -> "hello,-world!"."""

import sys


def slugify(text):
    return text.lower().replace(" ", "-")


if __name__ == "__main__":
    print(slugify(" ".join(sys.argv[1:])))
