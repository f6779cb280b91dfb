"""Issue 14's "done when", as `make run` serves it: a contributor signs up and submits a pattern, it is
verified in the sandbox by runsite's sandbox worker, a reviewer made with `create_reviewer` finds it in the
queue with its results and diff and accepts it, and the catalog then has it, verified as curated, with the
patch ready.

Everything goes over HTTP to `manage.py runsite` (granian, the main worker and the sandbox's worker) on the
embedded defaults: SQLite and the filesystem broker.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest
import requests

from tests import factories
from tests.conftest import RUN_ID
from tests.test_runsite import REPO, answers, start_loaded_site, stop_at_last, wait_until
from tests.test_runsite import site_env as site_env  # the fixture: `make run`'s defaults under tmp_path

PASSWORD = "a long passphrase of words"
SLUG = "hello-first"


class Browser:
    """A requests session that posts forms the way a browser does: with the page's CSRF token."""

    def __init__(self, base: str):
        self.base, self.session = base, requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=30)

    def post(self, path: str, data: dict, page: str | None = None, **extra) -> requests.Response:
        form = self.get(page or path).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        return self.session.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.base + (page or path)},
            timeout=60,
            **extra,
        )


def readme_fields() -> dict:
    return {
        **factories.typed_readme(SLUG, symbol="Hf"),
        "related": "",
        "order": "",
        "unverifiable": "",
        "body": factories.body(),
        "action": "save",
    }


EXAMPLE = factories.draft_example()


@pytest.mark.docker
def test_a_contributors_pattern_is_verified_in_the_sandbox_reviewed_accepted_and_verified_as_curated(
    site_env, tmp_path, docker_client, sandbox_client
):
    tree = tmp_path / "patterns"
    factories.write_tree(tree, count=1)
    site_env.update(
        PATTERNS_DIR=str(tree),
        WORKSHOPS_DIR=str(tmp_path / "workshops"),
        VERIFY_EXTRA_LABELS=f"catalog.test-run={RUN_ID}",
    )
    site, port, log = start_loaded_site(site_env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/healthz"), 60, "no answer from /healthz", site, log)
        contributor = Browser(base)
        signed = contributor.post(
            "/accounts/signup/", {"username": "grace", "password1": PASSWORD, "password2": PASSWORD}
        )
        assert signed.ok, signed.text
        started = contributor.post("/contribute/", {"kind": "new", "slug": SLUG})
        page = started.url.removeprefix(base)
        assert re.fullmatch(r"/contribute/\d+/", page), started.url
        assert contributor.post(page, readme_fields()).ok
        for path, (content, executable) in EXAMPLE.items():
            data = {"path": path, "content": content, **({"executable": "on"} if executable else {})}
            assert contributor.post(f"{page}files/", data, page=page).ok
        assert "No problem:" in contributor.get(page).text
        submitted = contributor.post(f"{page}submit/", {}, page=page)
        assert "Submitted: its examples and their mutants now run in the sandbox." in submitted.text

        def reviewed_label() -> bool:
            return (
                "Awaiting review" in contributor.get(page).text
                or "Awaiting author" in contributor.get(page).text
            )

        wait_until(reviewed_label, 180, "the sandbox never finished the submission", site, log)
        shown = contributor.get(page).text
        assert "Awaiting review" in shown and "examples/hello/</code>: proven" in shown, shown
        live_url = re.search(r"/contribute/\d+/runs/\d+/log", shown)
        assert live_url is None  # a finished run is shown whole, not followed live

        made = subprocess.run(
            [sys.executable, "manage.py", "create_reviewer", "rita"],
            cwd=REPO,
            env={**site_env, "REVIEWER_PASSWORD": PASSWORD},
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, made.stderr
        reviewer = Browser(base)
        assert reviewer.post("/accounts/login/", {"username": "rita", "password": PASSWORD}).ok
        queue = reviewer.get("/review/").text
        number = page.split("/")[2]
        assert f'href="/review/{number}/"' in queue and "Awaiting review" in queue
        review = reviewer.get(f"/review/{number}/").text
        assert "+FROM busybox:1.35" in review and "caught" in review
        accepted = reviewer.post(f"/review/{number}/", {"decision": "accept", "body": "Thank you."})
        assert accepted.ok and "Accepted" in accepted.text, accepted.text
        patch = reviewer.get(f"/review/{number}/patch")
        assert patch.ok and f"Subject: [PATCH] Add pattern {SLUG}" in patch.text
        assert (tree / SLUG / "examples" / "hello" / "Dockerfile").read_text() == factories.DOCKERFILE

        api = f"{base}/api/patterns/{SLUG}.json"

        def verified_as_curated() -> bool:
            response = requests.get(api, timeout=10)
            if response.status_code != 200:
                return False
            verification = json.loads(response.text)["examples"][0]["verification"]
            return bool(verification) and verification["state"] == "passed"

        wait_until(verified_as_curated, 180, "the accepted pattern was never verified as curated", site, log)
        verification = requests.get(api, timeout=10).json()["examples"][0]["verification"]
        assert verification.get("trust", "curated") == "curated"
        assert "Download the change as a patch" in contributor.get(page).text
        site.send_signal(signal.SIGTERM)  # runsite stops its server and both workers with it
        assert site.wait(timeout=30) == 0, log.read_text()
    finally:
        stop_at_last(site, docker_client)
