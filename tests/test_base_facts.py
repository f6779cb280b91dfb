"""Every base in patterns/bases.yaml records the facts examples may rely on, and the image has them.

The image on this engine is the published one where a registry answered and the offline
stand-in otherwise: either way it must show every promised fact, read from its config and its
files without starting it.
"""

import pytest

from tests.conftest import LABELS
from worker.bases.facts import BaseFacts, read_facts
from worker.bases.facts_seen import observed_facts
from worker.bases.specs import read_bases

SPECS = read_bases()


def test_every_base_records_its_facts_and_what_its_stand_in_differs_in():
    for spec in SPECS:
        assert spec.facts is not None and spec.facts.env.get("PATH"), spec.image
        assert spec.facts.cmd and spec.facts.users and spec.facts.files, spec.image
        assert len(spec.differs) > 20, f"{spec.image}: say what the stand-in differs in"


def test_a_malformed_fact_names_its_field():
    cases = [
        ({"env": ["PATH=/bin"]}, "bases[0].facts.env"),
        ({"cmd": "sh"}, "bases[0].facts.cmd"),
        ({"workdir": 1}, "bases[0].facts.workdir"),
        ({"shells": ["/bin/sh"]}, "bases[0].facts.shells"),
    ]
    for raw, field in cases:
        facts, problem = read_facts(raw, "bases[0].facts")
        assert facts is None and problem[0] == field, (raw, problem)
    assert read_facts({"cmd": ["sh"]}, "f") == (BaseFacts(cmd=("sh",)), None)


@pytest.mark.docker
@pytest.mark.parametrize("spec", SPECS, ids=[spec.image for spec in SPECS])
def test_the_image_on_the_engine_has_every_fact_its_entry_promises(docker_client, spec):
    seen = observed_facts(docker_client, spec.image, spec.facts, LABELS)
    assert seen == spec.facts
