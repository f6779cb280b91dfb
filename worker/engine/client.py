"""The Docker engine connection: connecting, telling infrastructure faults apart, checked labels."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import docker
import requests
import urllib3.exceptions
from docker.errors import DockerException

CLIENT_TIMEOUT = 120  # seconds per ordinary API call; streams set their own
_LABEL_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
_LABEL_VALUE = re.compile(r"^[\x20-\x7e]{0,256}$")


class EngineUnavailable(RuntimeError):
    """The engine could not be reached or dropped the connection: the caller should retry later."""


def connect(base_url: str | None = None, timeout: int = CLIENT_TIMEOUT) -> docker.DockerClient:
    """A client for DOCKER_HOST (or the local socket), or for base_url; raises EngineUnavailable."""
    try:
        if base_url:
            client = docker.DockerClient(base_url=base_url, version="auto", timeout=timeout)
        else:
            # docker-py 7.2 would otherwise follow the CLI's current context to another daemon.
            client = docker.from_env(use_context=False, timeout=timeout)
        client.ping()
    except (DockerException, requests.RequestException) as error:
        raise EngineUnavailable(f"the Docker engine is unreachable: {error}") from error
    return client


def engine_info(client: docker.DockerClient) -> dict[str, str]:
    """Version, API version, architecture and OS of the engine; raises EngineUnavailable."""
    with engine_errors():
        version = client.version()
    return {
        "version": str(version.get("Version", "")),
        "api_version": str(version.get("ApiVersion", "")),
        "arch": str(version.get("Arch", "")),
        "os": str(version.get("Os", "")),
    }


def is_read_timeout(error: BaseException) -> bool:
    """A request that outlived its timeout. On a unix socket requests reports it as a ConnectionError."""
    if isinstance(error, requests.exceptions.ReadTimeout):
        return True
    cause = error.args[0] if error.args else None
    return isinstance(error, requests.exceptions.ConnectionError) and isinstance(
        cause, urllib3.exceptions.ReadTimeoutError
    )


def is_unreachable(error: BaseException) -> bool:
    """A fault of the connection to the engine, as opposed to an answer from it."""
    if is_read_timeout(error):
        return False
    if isinstance(error, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return True
    if isinstance(error, urllib3.exceptions.ProtocolError | ConnectionError):
        return True
    # docker-py wraps a failed version negotiation in a bare DockerException.
    return type(error) is DockerException and "Error while fetching server API version" in str(error)


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn connection faults inside the block into EngineUnavailable; everything else passes."""
    try:
        yield
    except EngineUnavailable:
        raise
    except Exception as error:
        if is_unreachable(error):
            raise EngineUnavailable(f"lost the Docker engine: {error}") from error
        raise


def engine_fault(error: docker.errors.APIError) -> str | None:
    """Why an engine answer is the infrastructure's fault, not the example's; None when it is the example's.

    Every object a step names was made by this run, so "no such container/image" means something
    outside the run removed it (a prune, another tool): the run is retried, the example not blamed.
    "OCI runtime create failed" (a command that does not exist...) is the example's, whatever
    status the engine version gives it; other 5xx answers are the engine's.
    """
    message = str(error.explanation or error)
    if isinstance(error, docker.errors.NotFound):
        return f"an object of this run disappeared from the engine (removed from outside?): {message}"
    if error.is_server_error() and "OCI runtime" not in message:
        return f"the engine failed: {message}"
    return None


def checked_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The caller's labels, refused unless every key and value is plain text the engine stores as is."""
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL_KEY.match(key):
            raise ValueError(f"label key {key!r} must be lower-case letters, digits, '.', '_' or '-'")
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            raise ValueError(f"label {key!r} must have a printable ASCII value of at most 256 characters")
    return dict(labels)


def label_filters(labels: Mapping[str, str]) -> dict[str, list[str]]:
    """An engine list filter matching objects that carry all these labels."""
    return {"label": [f"{key}={value}" for key, value in labels.items()]}
