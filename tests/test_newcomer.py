"""The newcomer's path: the site starts before its base images exist, and still ends all green by itself.

`manage.py runsite` (what `make run` starts) queues the never-verified examples while their
base images are missing: they wait, blamed on nothing. One base is then provisioned with
`provision_bases` (which wakes what waits), another appears on the engine some other way (the
periodic back-off finds it). Both examples pass with no `verify` typed.
"""

import io
import json
import signal
import subprocess
import sys
import urllib.request

from tests import factories
from tests.conftest import RUN_ID
from tests.test_runsite import REPO, answers, site_env, start_loaded_site, stop_at_last, wait_until
from worker.bases.specs import IMAGE_LABEL
from worker.images.builder import remove_images

PROVISIONED = f"catalog-test-provisioned-{RUN_ID}:1"
APPEARING = f"catalog-test-appearing-{RUN_ID}:1"
__all__ = ["site_env"]  # the fixture of `make run`'s embedded defaults


def write_tree(root) -> None:
    bases = [
        {"image": image, "purpose": "tests", "offline": {"recipe": "busybox-static"}}
        for image in ("busybox:1.35", PROVISIONED, APPEARING)
    ]
    factories.write_bases(root, {"bases": bases})
    for index, base in enumerate((PROVISIONED, APPEARING)):
        dockerfile = f'FROM {base}\nCOPY hello.sh /hello.sh\nENTRYPOINT ["/hello.sh"]\n'
        files = {"Dockerfile": dockerfile, "hello.sh": factories.SCRIPT}
        factories.write_pattern(root, f"pattern-{index}", symbol=factories.symbol_for(index), files=files)


def verification_of(port: int, slug: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/patterns/{slug}.json", timeout=5) as response:
        return json.load(response)["examples"][0]["verification"] or {}


def state_of(port: int, slug: str) -> str:
    return verification_of(port, slug).get("state", "")


def test_examples_waiting_for_missing_bases_pass_once_the_bases_exist(site_env, tmp_path, docker_client):
    tree = tmp_path / "patterns"
    write_tree(tree)
    site_env.update(
        PATTERNS_DIR=str(tree),
        VERIFY_EXTRA_LABELS=f"catalog.test-run={RUN_ID}",
        # Longer than the steps up to provision_bases take on a busy machine: the periodic waker must
        # not re-queue the rows first, or provision_bases finds fewer than two still waiting.
        VERIFY_RETRY_SECONDS="45",
        VERIFY_RETRY_MAX_SECONDS="45",
        VERIFY_WAKE_INTERVAL="1",
    )

    site, port, log = start_loaded_site(site_env, tmp_path)
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60, "no answer", site, log)
        for slug in ("pattern-0", "pattern-1"):
            wait_until(lambda s=slug: state_of(port, s) == "waiting", 90, f"{slug} never waited", site, log)
        waiting = verification_of(port, "pattern-0")
        assert waiting["failure_reason"] == "" and f"base image {PROVISIONED}" in waiting["detail"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/patterns/pattern-0/", timeout=5) as response:
            page = response.read().decode()
        assert "Waiting since" in page and "status--error" not in page

        provisioned = subprocess.run(
            [sys.executable, "manage.py", "provision_bases", "--only", PROVISIONED],
            cwd=REPO,
            env=site_env,
            capture_output=True,
            text=True,
        )
        assert provisioned.returncode == 0, provisioned.stderr
        assert "woke 2 verification(s) that were waiting" in provisioned.stdout
        docker_client.images.build(
            fileobj=io.BytesIO(b"FROM busybox:1.35\n"),
            tag=APPEARING,
            labels={"catalog.owner": "tests", "catalog.test-run": RUN_ID, IMAGE_LABEL: APPEARING},
            rm=True,
        )
        for slug in ("pattern-0", "pattern-1"):
            # pattern-1 waits once more (its base appears only now) and is woken by the periodic waker.
            wait_until(lambda s=slug: state_of(port, s) == "passed", 180, f"{slug} never passed", site, log)
        site.send_signal(signal.SIGTERM)
        assert site.wait(timeout=20) == 0, log.read_text()
    finally:
        stop_at_last(site, docker_client)
        for base in (PROVISIONED, APPEARING):
            remove_images(docker_client, {IMAGE_LABEL: base})
