"""Hand-built ClientHellos and the reading of the server's first answer."""

import struct

from hypothesis import given
from hypothesis import strategies as st
from tls_parser.handshake_protocol import TlsHandshakeTypeByte
from tls_parser.parser import TlsRecordParser

from cyberbasics.lab.tls_servers import offered_suites, server_hello
from cyberbasics.protocols import tls_hello
from cyberbasics.protocols.tls_suites import ALL_SUITES


def test_client_hello_is_a_well_formed_record():
    hello = tls_hello.client_hello(tls_hello.TLS12, ALL_SUITES, "shop.example")
    record, used = TlsRecordParser.parse_bytes(hello)  # an independent parser
    assert used == len(hello)
    assert record.subprotocol_messages[0].handshake_type == TlsHandshakeTypeByte.CLIENT_HELLO
    assert offered_suites(hello[5:]) == set(ALL_SUITES)
    assert b"shop.example" in hello


def test_ssl3_hellos_carry_no_extensions_and_ips_get_no_sni():
    ssl3 = tls_hello.client_hello(tls_hello.SSL3, (0x000A,), "shop.example")
    assert ssl3[1:3] == b"\x03\x00" and b"shop.example" not in ssl3
    assert ssl3.endswith(b"\x01\x00")  # compression methods, then nothing
    by_ip = tls_hello.client_hello(tls_hello.TLS10, (0x000A,), "192.0.2.1")
    assert b"192.0.2.1" not in by_ip


def test_a_server_hello_is_read_across_records():
    answer = server_hello(tls_hello.TLS12, 0xC02F)
    message = answer[5:]
    split = (struct.pack("!BHH", 0x16, 0x0303, 10) + message[:10]
             + struct.pack("!BHH", 0x16, 0x0303, len(message) - 10) + message[10:])
    assert tls_hello.read_server_hello(split[:12], complete=False) is None
    read = tls_hello.read_server_hello(split, complete=False)
    assert (read.kind, read.version, read.cipher) == ("hello", tls_hello.TLS12, 0xC02F)


def test_supported_versions_names_tls13():
    body = (struct.pack("!H", 0x0303) + bytes(32) + b"\x00" + struct.pack("!HB", 0x1301, 0)
            + struct.pack("!HHHH", 6, 0x002B, 2, 0x0304))
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    record = struct.pack("!BHH", 0x16, 0x0303, len(message)) + message
    assert tls_hello.read_server_hello(record, complete=False).version == tls_hello.TLS13


def test_alerts_closes_and_other_protocols():
    assert tls_hello.read_server_hello(b"\x15\x03\x01\x00\x02\x02\x28", complete=False).alert == 40
    assert tls_hello.read_server_hello(b"", complete=True).kind == "closed"
    assert tls_hello.read_server_hello(b"", complete=False) is None
    assert tls_hello.read_server_hello(b"HTTP/1.1 400 Bad", complete=False).kind == "other"
    assert tls_hello.read_server_hello(b"\x16\x03", complete=True).kind == "other"


@given(st.binary(max_size=300), st.booleans())
def test_reading_never_raises(data, complete):
    answer = tls_hello.read_server_hello(data, complete=complete)
    assert answer is None or answer.kind in ("hello", "alert", "closed", "other")
    if answer is None:
        assert not complete


@given(st.binary(max_size=120))
def test_handshake_records_of_any_content_never_raise(payload):
    record = struct.pack("!BHH", 0x16, 0x0303, len(payload)) + payload
    answer = tls_hello.read_server_hello(record, complete=True)
    assert answer is not None


def test_a_warning_alert_before_the_server_hello_is_not_a_refusal():
    warning = b"\x15\x03\x01\x00\x02\x01\x70"  # warning unrecognized_name, as Apache sends
    answer = tls_hello.read_server_hello(warning + server_hello(tls_hello.TLS10, 0x002F),
                                         complete=False)
    assert (answer.kind, answer.version, answer.cipher) == ("hello", tls_hello.TLS10, 0x002F)
    assert tls_hello.read_server_hello(warning, complete=False) is None
    endless = tls_hello.read_server_hello(warning * 10, complete=False)
    assert endless.kind == "alert"  # bounded: the fifth warning is taken as the answer


def test_hellos_avoid_the_256_to_511_byte_range():
    from cyberbasics.protocols.tls_suites import (
        PRE_TLS12_SUITES,
        SSL3_SUITES,
        WEAK_CLASSES,
        suites_of_class,
    )

    hellos = [tls_hello.client_hello(tls_hello.SSL3, SSL3_SUITES, "shop.example")]
    for version in (tls_hello.TLS10, tls_hello.TLS11):
        hellos.append(tls_hello.client_hello(version, PRE_TLS12_SUITES, "a-much-longer-name."
                                             "shop.example"))
    for name in WEAK_CLASSES:
        for server_name in ("a.example", "x" * 60 + ".example", None):
            hellos.append(tls_hello.client_hello(tls_hello.TLS12, suites_of_class(name),
                                                 server_name))
    for hello in hellos:
        handshake_length = len(hello) - 5
        assert not 0x100 <= handshake_length < 0x200, handshake_length
        TlsRecordParser.parse_bytes(hello)  # still well formed
