"""Running a scenario written in a test on the real engine, and checking that it left nothing."""

from __future__ import annotations

import json

from worker.engine.client import label_filters
from worker.runner import run_scenario
from worker.scenario import Scenario, parse_scenario

APP_SH = b"""#!/bin/sh
trap 'echo "got SIGTERM"; exit 0' TERM
echo "app.sh started (PID $$)"
while true; do sleep 1 & wait $!; done
"""
HTTPD = 'FROM busybox:1.35\n{}\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'


def example(
    steps: list, images: dict | None = None, files: dict | None = None, **more
) -> tuple[Scenario, dict]:
    files = {
        name: (data.encode() if isinstance(data, str) else data, name.endswith(".sh"))
        for name, data in (files or {}).items()
    }
    raw = {
        "title": "test",
        "summary": "test",
        "images": images or {"app": {"dockerfile": "Dockerfile"}},
        "steps": steps,
        **more,
    }
    texts = {name: data.decode(errors="replace") for name, (data, _) in files.items()}
    scenario, errors = parse_scenario(raw, texts)
    assert not errors, errors
    return scenario, files


def run(client, labels, scenario_files, *, also=None, **options):
    """Run on the real engine, collecting the live lines (and passing each to `also`, if given)."""
    events: list[str] = []

    def on_event(line: str) -> None:
        events.append(line)
        if also is not None:
            also(line)

    result = run_scenario(client, *scenario_files, labels, on_event=on_event, **options)
    assert json.loads(json.dumps(result.to_dict()))["outcome"] == result.outcome
    nothing_left(client, labels)
    return result, events


def nothing_left(client, labels):
    selector = label_filters(labels)
    assert client.containers.list(all=True, filters=selector) == []
    assert client.volumes.list(filters=selector) == []
    assert client.networks.list(filters=selector) == []


def checks_of(result):
    return {(c.step_index, c.name): c for c in result.checks}
