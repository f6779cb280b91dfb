"""Image facts agree with the docker CLI, asked independently, and the base/own split adds up."""

import subprocess
import time

import pytest

from tests.conftest import LABELS, labelled
from tests.test_builder import ensure_busybox
from worker.images.build_context import context_tar
from worker.images.builder import build_image
from worker.images.facts import clean_instruction, collect_image_facts

DOCKERFILE = b"""FROM busybox:1.35
ARG FLAVOUR=plain
ENV APP_HOME=/app
WORKDIR /app
COPY data.bin /app/data.bin
RUN echo $FLAVOUR > /app/flavour && chmod 600 /app/data.bin
RUN rm /app/flavour
USER 65534:65534
EXPOSE 8080
VOLUME /app/state
HEALTHCHECK CMD test -f /app/data.bin
ENTRYPOINT ["sh", "-c"]
CMD ["cat /app/data.bin"]
"""


@pytest.fixture(scope="module")
def busybox(docker_client):
    return ensure_busybox(docker_client)


@pytest.fixture(scope="module")
def labels(docker_client):
    # One build serves the module; conftest's labels are function-scoped, so take them at the source.
    yield from labelled(docker_client, LABELS)


@pytest.fixture(scope="module")
def built(docker_client, labels, busybox):
    files = {"Dockerfile": (DOCKERFILE, False), "data.bin": (bytes(range(256)) * 400, False)}
    result = build_image(
        docker_client,
        image_name="facts",
        context=context_tar(files),
        dockerfile="Dockerfile",
        tag=f"catalog-test/facts-{labels['catalog.test']}:facts",
        labels=labels,
        deadline=time.monotonic() + 60,
        build_args={"FLAVOUR": "spicy"},
    )
    assert result.ok, result.log
    return result


def cli(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=30).stdout


def test_facts_agree_with_the_docker_cli(docker_client, labels, built):
    facts = collect_image_facts(
        docker_client, "facts", built.image_id, tag=built.tag, base_ref="busybox:1.35"
    )
    assert facts.size == int(cli("image", "inspect", "--format", "{{.Size}}", built.image_id))
    rows = cli(
        "history", "--no-trunc", "--human=false", "--format", "{{.CreatedBy}}|{{.Size}}", built.image_id
    )
    expected = [line.rsplit("|", 1) for line in reversed(rows.strip().splitlines())]
    assert [(row.created_by, str(row.size)) for row in facts.history] == [(by, size) for by, size in expected]
    layers = cli("image", "inspect", "--format", "{{len .RootFS.Layers}}", built.image_id)
    assert facts.layers == int(layers)


def test_base_and_own_bytes_split_the_size(docker_client, labels, built):
    facts = collect_image_facts(docker_client, "facts", built.image_id, base_ref="busybox:1.35")
    base_rows = len(cli("history", "-q", "busybox:1.35").split())
    assert facts.base_matched and facts.base_id == docker_client.images.get("busybox:1.35").id
    assert [row.base for row in facts.history] == [True] * base_rows + [False] * (
        len(facts.history) - base_rows
    )
    assert facts.base_size + facts.own_size == facts.size
    assert facts.base_size == int(cli("image", "inspect", "--format", "{{.Size}}", "busybox:1.35"))
    assert facts.own_size >= 102_400  # data.bin; the chmod copies it once more into a layer


def test_config_facts_and_clean_instructions(docker_client, labels, built):
    facts = collect_image_facts(docker_client, "facts", built.image_id, base_ref="busybox:1.35")
    own = [row.instruction for row in facts.history if not row.base]
    assert own[:4] == ["ARG FLAVOUR=plain", "ENV APP_HOME=/app", "WORKDIR /app", own[3]]
    assert own[3].startswith("COPY file:") and own[3].endswith(" in /app/data.bin")
    assert "RUN echo $FLAVOUR > /app/flavour && chmod 600 /app/data.bin" in own
    assert "RUN rm /app/flavour" in own
    assert (facts.user, facts.exposed_ports, facts.volumes) == ("65534:65534", ("8080/tcp",), ("/app/state",))
    assert (facts.entrypoint, facts.cmd, facts.workdir) == (("sh", "-c"), ("cat /app/data.bin",), "/app")
    assert facts.healthcheck == ("CMD-SHELL", "test -f /app/data.bin")
    assert labels.items() <= facts.labels.items()


def test_a_base_that_is_not_the_real_base_is_not_matched(docker_client, labels, built):
    facts = collect_image_facts(docker_client, "facts", built.image_id, base_ref="golang:does-not-exist")
    assert not facts.base_matched and facts.base_size == 0 and facts.own_size == facts.size


@pytest.mark.parametrize(
    ("created_by", "instruction"),
    [
        ('/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]'),
        ("/bin/sh -c #(nop) COPY file:abc in /app/ ", "COPY file:abc in /app/"),
        ("/bin/sh -c chmod 600 /data/big.bin", "RUN chmod 600 /data/big.bin"),
        ("|2 A=1 B=two /bin/sh -c make all", "RUN make all"),
        ("/bin/busybox --install -s /bin", "RUN /bin/busybox --install -s /bin"),
        ("RUN /bin/sh -c apk add curl # buildkit", "RUN apk add curl"),
        ("COPY file.txt /app/ # buildkit", "COPY file.txt /app/"),
        ("", ""),
    ],
)
def test_clean_instruction(created_by, instruction):
    assert clean_instruction(created_by) == instruction
