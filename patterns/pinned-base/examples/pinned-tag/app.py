"""Reports which runtime and operating system the pinned base image provided."""

import platform

codename = "unknown"
with open("/etc/os-release", encoding="utf-8") as release:
    for line in release:
        if line.startswith("VERSION_CODENAME="):
            codename = line.split("=", 1)[1].strip().strip('"')

print(f"running on Python {platform.python_version()}")
print(f"operating system: Debian {codename}")
