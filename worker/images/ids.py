"""Image ids in one form, `sha256:` and the hex digest, however an engine or an archive wrote them."""

PREFIX = "sha256:"


def hex_digest(value: str) -> str:
    """The hex digits of an id or digest: `abc…`, `sha256:abc…` and `sha256:sha256:abc…` alike.

    A kaniko-made `docker save` archive names its config `sha256:<hex>` where the engine
    writes `<hex>.json`, so an id read from the member name would carry the prefix twice.
    """
    while value.startswith(PREFIX):
        value = value[len(PREFIX) :]
    return value


def full_id(value: str) -> str:
    """`sha256:<hex>` for any spelling of an id; "" stays ""."""
    digits = hex_digest(value)
    return PREFIX + digits if digits else ""


def config_id(member_name: str) -> str:
    """The image id a save archive's config member is named by: the engine's `<hex>.json`,
    an OCI layout's `blobs/sha256/<hex>`, kaniko's `sha256:<hex>`."""
    return full_id(member_name.rsplit("/", 1)[-1].removesuffix(".json"))


def short_id(value: str) -> str:
    """The first 12 hex digits, as `docker images` prints an id."""
    return hex_digest(value)[:12]
