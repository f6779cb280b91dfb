"""A kit plan's fingerprint: it changes when what attendees get from the kit would change.

That is the examples' files and verified commands, the bases they build on, the titles the
README names and the kit's format. The measured sizes are left out: a new verification that
measures a layer a little differently does not make a kit out of date.
"""

from __future__ import annotations

import hashlib
import json

from catalog.kits.build import KIT_FORMAT
from catalog.kits.plan import KitPlan
from worker.contract.codec import to_json


def plan_fingerprint(plan: KitPlan) -> str:
    described = {
        "kit_format": KIT_FORMAT,
        "name": plan.name,
        "titles": [plan.workshop.title, plan.cut.title if plan.cut else ""],
        "bases": list(plan.bases),
        "examples": [
            {
                "folder": example.folder,
                "title": example.title,
                "files": [
                    [path, hashlib.sha256(content).hexdigest(), executable]
                    for path, content, executable in example.files
                ],
                "commands": to_json(example.commands),
            }
            for example in plan.examples
        ],
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
