"""Build a kit on the catalog's engine into the kits folder, for the command and the worker alike.

One place turns what can go wrong (no engine, a base image missing, the engine failing during the
save, a full disk) into a sentence a trainer can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docker
import requests
from django.conf import settings

from catalog.kits.build import BuiltKit, build_kit
from catalog.kits.plan import KitPlan
from worker.engine.client import EngineUnavailable, connect


def kits_folder() -> Path:
    """var/kits: where the command writes by default, the worker builds and the site serves from."""
    return settings.VAR_DIR / "kits"


class KitBuildFailed(Exception):
    """The kit could not be built; the message says why."""


def build_on_engine(plan: KitPlan, out_dir: Path, say: Callable[[str], None]) -> BuiltKit:
    try:
        client = connect()
    except EngineUnavailable as error:
        raise KitBuildFailed(f"the kit's images come from the engine, unreachable: {error}") from error
    try:
        return build_kit(client, plan, out_dir, say=say)
    except docker.errors.ImageNotFound as error:
        raise KitBuildFailed(f"a base image is missing (run `make bases`): {error}") from error
    except (docker.errors.DockerException, requests.RequestException, EngineUnavailable) as error:
        raise KitBuildFailed(f"the engine failed while saving the images: {error}") from error
    except OSError as error:  # after the engine's errors: requests' are OSErrors too
        raise KitBuildFailed(f"could not write the kit into {out_dir}: {error}") from error
    finally:
        client.close()
