"""Every spelling of an image id comes out as `sha256:<hex>`."""

import pytest

from worker.images.ids import full_id, hex_digest, short_id

HEX = "0123456789abcdef" * 4


@pytest.mark.parametrize("spelling", [HEX, f"sha256:{HEX}", f"sha256:sha256:{HEX}"])
def test_any_spelling_is_one_id(spelling):
    assert full_id(spelling) == f"sha256:{HEX}"
    assert hex_digest(spelling) == HEX
    assert short_id(spelling) == HEX[:12]


def test_no_id_stays_empty():
    assert (full_id(""), hex_digest(""), short_id("")) == ("", "", "")
