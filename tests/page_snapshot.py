"""Render every page family from one database into a folder, to compare a refactoring's HTML.

    export DATABASE_URL=sqlite:////tmp/copy.sqlite3 CATALOG_VAR_DIR=/tmp/snap-var DEBUG=false \
        SECRET_KEY=snapshot-only-not-secret-0123456789 ALLOWED_HOSTS=127.0.0.1
    .venv/bin/python manage.py collectstatic --noinput -v0
    .venv/bin/python -m tests.page_snapshot OUT_DIR

Run it on a copy of a verified catalog's database before and after a change, then
`diff -r before after`: identical files mean identical pages. The clock is frozen at the
newest verification's end plus one hour, so "3 minutes ago" reads the same in both runs;
the page cache is bypassed (a cookie on every request), so each page is rendered anew.
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path
from unittest import mock

COOKIE = "snapshot=1"  # a request with a cookie is never answered from the page cache
CLOCK_HEADERS = {"Expires"}  # set from the real clock (never_cache), not from the page


def page_paths() -> list[str]:
    from catalog.models import ImageLayers, Pattern, Verification

    paths = ["/", "/search/?q=cache", "/search/?q=root", "/status/", "/categories.css", "/api/patterns.json"]
    for slug in Pattern.objects.order_by("slug").values_list("slug", flat=True):
        paths += [f"/patterns/{slug}/", f"/patterns/{slug}/badge.svg", f"/api/patterns/{slug}.json"]
    for pk in Verification.objects.order_by("pk").values_list("pk", flat=True):
        paths.append(f"/verifications/{pk}.json")
    for pk, image in ImageLayers.objects.order_by("pk").values_list("verification_id", "image_name"):
        paths += [f"/verifications/{pk}/images/{image}/layers/{layer}/files" for layer in (0, 1)]
    return paths


def frozen_now() -> datetime.datetime:
    from django.db.models import Max

    from catalog.models import Verification

    newest = Verification.objects.aggregate(Max("finished_at"))["finished_at__max"]
    return (newest or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)) + datetime.timedelta(hours=1)


def snapshot(out: Path) -> int:
    from django.test import Client
    from django.utils import timezone

    now = frozen_now()
    client = Client(HTTP_COOKIE=COOKIE, HTTP_HOST="127.0.0.1")
    with mock.patch.object(timezone, "now", return_value=now):
        paths = page_paths()
        for number, path in enumerate(paths):
            response = client.get(path)
            name = f"{number:05d}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}"
            kept = sorted((key, value) for key, value in response.items() if key not in CLOCK_HEADERS)
            headers = "".join(f"{key}: {value}\n" for key, value in kept)
            (out / name).write_bytes(f"{response.status_code}\n{headers}\n".encode() + response.content)
    return len(paths)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.page_snapshot OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
    import django

    django.setup()
    print(f"{snapshot(out)} pages written to {out}")


if __name__ == "__main__":
    main()
