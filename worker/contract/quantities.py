"""Durations and byte sizes as authors write them in example.yaml ("2s", "500ms", "12MB")."""

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$")
_SIZE_UNITS = {
    None: 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}


def parse_duration(value: object) -> float:
    """Seconds from a number or a string such as '2s', '1.5s', '500ms', '2m'."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '2s' or '500ms'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected a duration like '2s' or '500ms', got {value!r}")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: object) -> int:
    """Bytes from a number or a string such as '12MB', '5MiB', '800KB'."""
    if isinstance(value, bool):
        raise ValueError("expected a size like '12MB' or '5MiB'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"expected a size like '12MB' or '5MiB', got {value!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])


def format_size(size: int) -> str:
    """A human size with decimal units, as `docker images` prints them."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} B"
