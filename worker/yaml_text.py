"""YAML that people write (bases.yaml, example.yaml, front matter): parsed safely, errors named by line."""

import yaml


def parse_yaml(text: str, line_offset: int = 0) -> tuple[object, str]:
    """(data, "") or (None, "invalid YAML at line N: …"); `line_offset`: lines of the file before `text`."""
    try:
        return yaml.safe_load(text), ""
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1 + line_offset}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        return None, f"invalid YAML{where}: {problem}"
