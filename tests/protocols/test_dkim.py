from __future__ import annotations

import base64
import inspect
import json
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberbasics.protocols import dkim
from cyberbasics.protocols.dkim import COMMON_SELECTORS, DkimKey, DkimKeyError, parse_key_record

FUZZ = settings(max_examples=300, deadline=None)

# RFC 6376 Appendix C: the example key record for selector "brisbane", as the
# zone file's character-strings joined (a 1024-bit RSA key).
RFC6376_EXAMPLE = (
    "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ"
    "KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
    "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v"
    "/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi"
    "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
)
# RFC 8463 Appendix A.2: the example Ed25519 key record.
RFC8463_EXAMPLE = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _rsa(bits: int, fmt=serialization.PublicFormat.SubjectPublicKeyInfo) -> str:
    key = rsa.generate_private_key(65537, bits).public_key()
    return _b64(key.public_bytes(serialization.Encoding.DER, fmt))


def _rsa_from_modulus(bits: int) -> str:
    modulus = (1 << (bits - 1)) | 0xF1  # odd, exactly `bits` long; never used to verify
    key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    return _b64(key.public_bytes(serialization.Encoding.DER,
                                 serialization.PublicFormat.SubjectPublicKeyInfo))


RSA_2048 = _rsa(2048)
RSA_2048_PKCS1 = _rsa(2048, serialization.PublicFormat.PKCS1)
RSA_512 = _rsa_from_modulus(512)
ED25519_SPKI = _b64(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
EC_SPKI = _b64(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def test_rfc6376_example_record():
    key = parse_key_record(RFC6376_EXAMPLE)
    assert key.version == "DKIM1" and key.key_type == "rsa"
    assert key.key_bits == 1024 and key.key_format == "spki"
    assert key.strength == "acceptable" and not key.revoked and not key.testing
    assert key.service_types == ("*",) and key.usable_for_email
    assert key.problems == ()


def test_rfc8463_ed25519_example_record():
    key = parse_key_record(RFC8463_EXAMPLE)
    assert key.key_type == "ed25519" and key.key_bits == 256 and key.key_format == "raw"
    assert key.strength == "strong"


def test_rsa_2048_is_strong():
    key = parse_key_record(f"v=DKIM1; k=rsa; p={RSA_2048}")
    assert key.key_bits == 2048 and key.strength == "strong"


def test_bare_pkcs1_rsa_key_is_accepted():
    key = parse_key_record(f"k=rsa; p={RSA_2048_PKCS1}")
    assert key.key_bits == 2048 and key.key_format == "pkcs1" and key.strength == "strong"


def test_short_rsa_key_is_weak():
    key = parse_key_record(f"p={RSA_512}")
    assert key.key_bits == 512 and key.strength == "weak"


def test_empty_p_means_revoked():
    key = parse_key_record("v=DKIM1; k=rsa; p=")
    assert key.revoked and key.strength == "revoked" and key.key_bits is None


def test_whitespace_inside_p_is_ignored():
    spaced = " ".join(RSA_2048[i:i + 64] for i in range(0, len(RSA_2048), 64))
    key = parse_key_record(f"v=DKIM1; p= {spaced}\t;")
    assert key.key_bits == 2048 and " " not in key.public_key


def test_v_is_optional():
    assert parse_key_record(f"p={RSA_2048}").version is None


def test_flags_notes_hashes_services():
    key = parse_key_record(f"v=DKIM1; h=sha256; s=email; t=y:s; n=rotated 2024; p={RSA_2048}")
    assert key.testing and key.strict_subdomains
    assert key.hash_algorithms == ("sha256",) and key.service_types == ("email",)
    assert key.notes == "rotated 2024" and key.problems == ()
    json.dumps(key.to_json())


def test_unknown_tags_and_flags_are_ignored():
    key = parse_key_record(f"v=DKIM1; g=*; x=1; t=q; p={RSA_2048}")
    assert key.flags == ("q",) and not key.testing and key.strength == "strong"


def test_sha1_only_and_foreign_service_types_are_problems():
    key = parse_key_record(f"h=sha1; s=tlsrpt; p={RSA_2048}")
    assert not key.usable_for_email
    assert any("only sha1" in problem for problem in key.problems)
    assert any("does not include email" in problem for problem in key.problems)
    assert parse_key_record(f"h=md5; p={RSA_2048}").problems == ("h='md5' names no known hash "
                                                                  "algorithm",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"k=rsa; v=DKIM1; p={RSA_2048}", "v= must be the first tag"),
        (f"v=DKIM2; p={RSA_2048}", "v='DKIM2' is not DKIM1"),
        (f"v=dkim1; p={RSA_2048}", "is not DKIM1"),
        ("v=DKIM1; k=rsa", "the p= tag .* is missing"),
        (f"v=DKIM1; P={RSA_2048}", "the p= tag .* is missing"),  # tag names are case-sensitive
        (f"v=DKIM1; p={RSA_2048}; p=", "tag 'p' appears more than once"),
        (f"v=DKIM1; {RSA_2048}", "is not a tag=value pair"),
        ("v=DKIM1; 9k=1; p=", "is not a valid tag name"),
        ("", "the p= tag .* is missing"),
    ],
)
def test_unreadable_records(text, message):
    with pytest.raises(DkimKeyError, match=message):
        parse_key_record(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("p=not base64!", "not valid base64"),
        ("p=QUJD=", "not valid base64"),
        ("p=QUJDRA==", "not an RSA public key"),
        (f"p={EC_SPKI}", "not RSA although k=rsa"),
        (f"k=ed25519; p={ED25519_SPKI}", "raw 32-byte key"),
        (f"k=ed25519; p={RSA_2048}", "exactly 32 bytes"),
        (f"k=dsa; p={RSA_2048}", "not a key type verifiers know"),
        (f"k=rsa; p={_b64(bytes(32))}", "not an RSA public key"),
    ],
)
def test_keys_that_cannot_be_used_are_invalid(text, problem):
    key = parse_key_record(text)
    assert key.strength == "invalid" and key.key_bits is None
    assert any(problem in item for item in key.problems), key.problems


def test_common_selectors():
    assert 20 <= len(COMMON_SELECTORS) <= 30
    assert len(set(COMMON_SELECTORS)) == len(COMMON_SELECTORS)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", s) for s in COMMON_SELECTORS)
    for selector in ("selector1", "selector2", "google", "k1", "k2", "k3", "s1", "s2",
                     "default", "dkim", "mail", "smtp", "mandrill", "mxvault", "zoho",
                     "everlytickey1"):
        assert selector in COMMON_SELECTORS
    # every entry names its provider in a comment
    source = inspect.getsource(dkim)
    block = source.split("COMMON_SELECTORS: tuple[str, ...] = (", 1)[1].split("\n)", 1)[0]
    entries = [line for line in block.splitlines() if line.strip()]
    assert len(entries) == len(COMMON_SELECTORS)
    assert all(re.search(r'^\s*"[^"]+",\s+#\s*\S', line) for line in entries)


def _check(text):
    try:
        key = parse_key_record(text)
    except DkimKeyError as exc:
        assert str(exc)
        return None
    assert isinstance(key, DkimKey)
    assert key.strength in ("revoked", "weak", "acceptable", "strong", "invalid")
    json.dumps(key.to_json())
    return key


@FUZZ
@given(st.text())
def test_fuzz_arbitrary_text(text):
    _check(text)


@FUZZ
@given(st.text(alphabet=st.characters(codec="ascii")))
def test_fuzz_p_values(text):
    _check(f"v=DKIM1; k=rsa; p={text}")
    _check(f"k=ed25519; p={text}")


_PIECES = [
    "v=DKIM1", "v=DKIM2", "k=rsa", "k=ed25519", "k=", "h=sha256", "h=sha1:sha256", "s=email",
    "s=*", "t=y", "t=s:y", "n=note", "p=", f"p={RSA_2048}", f"p={RSA_2048[:-8]}",
    f"p={RSA_512}", "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", f"p={ED25519_SPKI}",
    "x=1", "P=abc", "junk", "", " ",
]


@FUZZ
@given(st.lists(st.sampled_from(_PIECES), max_size=8), st.sampled_from([";", "; ", " ;\t"]))
def test_fuzz_near_valid_records(pieces, separator):
    _check(separator.join(pieces))


@pytest.mark.parametrize("value", [None, 42, b"p="])
def test_non_text_input(value):
    with pytest.raises(DkimKeyError):
        parse_key_record(value)
