"""What makes a stand-in's root filesystem look like the published image it stands in for.

Each function adds to a root filesystem what bases.yaml's `facts` promise of that image and
returns the image config changes that go with it: the accounts of the busybox image, Python at
the /usr/local paths of python:*, Go at golang:*'s GOROOT and GOPATH.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The accounts of the official busybox image (its rootfs skeleton), which examples name in USER.
BUSYBOX_PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
BUSYBOX_GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
users:x:100:
nogroup:x:65534:
"""


def busybox_rootfs(rootfs: Path, binary: Path) -> list[str]:
    """One layer, as the official image: busybox and its applets in /bin, its accounts, /tmp, /root."""
    (rootfs / "bin").mkdir(parents=True)
    target = rootfs / "bin/busybox"
    target.write_bytes(binary.read_bytes())
    target.chmod(0o755)
    applets = subprocess.run(
        [str(binary), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    for applet in applets:
        if applet != "busybox" and "/" not in applet:
            os.symlink("busybox", rootfs / "bin" / applet)
    for folder, mode in (
        ("etc", 0o755),
        ("root", 0o700),
        ("home", 0o755),
        ("tmp", 0o1777),
        ("var/www", 0o755),
    ):
        (rootfs / folder).mkdir(parents=True, exist_ok=True)
        (rootfs / folder).chmod(mode)
    (rootfs / "etc/passwd").write_text(BUSYBOX_PASSWD)
    (rootfs / "etc/group").write_text(BUSYBOX_GROUP)
    return [f"ENV PATH={PATH}", 'CMD ["sh"]']


def python_paths(rootfs: Path) -> dict[str, str]:
    """python:* keeps its interpreter and site-packages under /usr/local; Debian's are under /usr."""
    local_bin = rootfs / "usr/local/bin"
    local_bin.mkdir(parents=True, exist_ok=True)
    for name in ("python3", "python"):
        if not os.path.lexists(local_bin / name):
            os.symlink("/usr/bin/python3", local_bin / name)
    version = _python_version(rootfs)
    site = rootfs / f"usr/local/lib/python{version}/site-packages"
    site.mkdir(parents=True, exist_ok=True)
    # A .pth in Debian's dist-packages puts the published image's site-packages on sys.path.
    dist = rootfs / "usr/lib/python3/dist-packages"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "catalog-local-site-packages.pth").write_text(f"/usr/local/lib/python{version}/site-packages\n")
    return {"PATH": f"/usr/local/bin:{PATH}", "LANG": "C.UTF-8"}


def go_paths(rootfs: Path, goroot: Path) -> dict[str, str]:
    """golang:* has GOROOT /usr/local/go and a world-writable GOPATH /go, its working directory."""
    for sub in ("src", "bin"):
        (rootfs / "go" / sub).mkdir(parents=True, exist_ok=True)
    for path in (rootfs / "go", rootfs / "go/src", rootfs / "go/bin"):
        path.chmod(0o1777)
    (rootfs / "usr/local").mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(rootfs / "usr/local/go"):
        os.symlink("/" + str(goroot.relative_to(rootfs)), rootfs / "usr/local/go")
    return {"GOPATH": "/go", "PATH": f"/go/bin:/usr/local/go/bin:{PATH}"}


def _python_version(rootfs: Path) -> str:
    """ "3.11" from the rootfs's /usr/lib/python3.X folder."""
    versions = sorted(path.name.removeprefix("python") for path in (rootfs / "usr/lib").glob("python3.*"))
    return versions[-1] if versions else "3"
