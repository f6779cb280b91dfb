"""The relay reads the CLI's requests one by one: heads, Content-Length and chunked bodies."""

import io

import pytest

from worker.commands.http_wire import WireError, copy_body, read_body, read_request


def test_requests_on_one_connection_are_read_one_after_the_other():
    wire = io.BytesIO(
        b"POST /v1.41/containers/create?name=web HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
        b"POST /v1.41/build?t=web HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    )
    first = read_request(wire)
    assert (first.method, first.path, first.query) == ("POST", "/v1.41/containers/create", {"name": ["web"]})
    assert read_body(wire, first) == b"{}"
    second = read_request(wire)
    assert second.chunked
    relayed: list[bytes] = []
    copy_body(wire, second, relayed.append)  # framing kept as it came
    assert b"".join(relayed) == b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    assert read_request(wire) is None


def test_a_rewritten_body_gets_its_new_length_and_loses_the_chunking():
    request = read_request(
        io.BytesIO(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: docker\r\n\r\n")
    )
    request.set_body_length(7)
    assert request.head_bytes() == b"POST /x HTTP/1.1\r\nHost: docker\r\nContent-Length: 7\r\n\r\n"


@pytest.mark.parametrize(
    "wire, message",
    [
        (b"GARBAGE\r\n\r\n", "malformed request line"),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", "malformed header"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", "closed inside a request head"),
    ],
)
def test_what_the_relay_cannot_follow_is_an_error_not_a_guess(wire, message):
    with pytest.raises(WireError, match=message):
        read_request(io.BytesIO(wire))
