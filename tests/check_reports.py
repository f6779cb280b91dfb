"""Reports as catalog/kits/check.sh writes and sends them, for the readiness check's tests."""

# What check.sh runs with --report, less the report's file (@FILE) and the link.
CHECK_SH_CURL = ("curl", "-sS", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary")


def report(nickname: str = "ada-laptop", **changes) -> dict:
    """A report as check.sh writes it, for the workshop `morning`: two examples passed, one failed."""
    data = {
        "report_format": 1,
        "kit": {"workshop": "morning", "cut": None, "kit_format": 1},
        "nickname": nickname,
        "machine": {
            "os": "Linux",
            "arch": "x86_64",
            "cli_version": "20.10.24",
            "engine_version": "20.10.24",
            "engine_os": "linux",
            "engine_arch": "x86_64",
            "free_disk_mb": 51234,
            "builder": "classic",
        },
        "checks": [
            {"name": name, "status": "passed", "detail": f"{name} is fine"}
            for name in ("docker-cli", "engine", "architecture", "disk", "bases")
        ],
        "items": [
            item(1, "pattern-0", "passed"),
            item(2, "pattern-1", "passed"),
            item(3, "pattern-2", "failed", "command 3 (docker run hello): exited 1, the kit says 0"),
        ],
        "passed": 2,
        "failed": 1,
        "started": "2026-12-07T14:00:00Z",
        "seconds": 95,
    }
    data.update(changes)
    return data


def item(number: int, pattern: str, status: str, detail: str = "") -> dict:
    folder = f"examples/{number:02d}-{pattern}--hello"
    fields = {"number": number, "folder": folder, "pattern": pattern, "example": "hello", "status": status}
    return {**fields, "seconds": 12, "detail": detail}
