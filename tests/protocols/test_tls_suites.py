"""The suite table is the IANA registry's, as the tls_parser package carries it."""

from tls_parser.cipher_suites import CipherSuites

from cyberbasics.protocols.tls_suites import SUITES, WEAK_CLASSES, classes_of, suites_of_class


def test_every_entry_matches_the_registry():
    registry = {suite.value: suite.name for suite in CipherSuites}
    for code, name in SUITES.items():
        assert registry[code] == f"TLS_{name}"


def test_classes():
    by_name = {f"TLS_{name}": code for code, name in SUITES.items()}
    assert classes_of(by_name["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]) == frozenset()
    assert classes_of(by_name["TLS_RSA_WITH_AES_128_GCM_SHA256"]) == {"no_forward_secrecy"}
    assert classes_of(by_name["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]) == {"des", "no_forward_secrecy"}
    assert classes_of(by_name["TLS_ECDHE_RSA_WITH_RC4_128_SHA"]) == {"rc4"}
    assert classes_of(by_name["TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"]) == {
        "anonymous", "export", "rc4"}
    assert classes_of(by_name["TLS_ECDHE_RSA_WITH_NULL_SHA"]) == {"null"}
    assert classes_of(0xFFFF) == frozenset()
    assert all(suites_of_class(name) for name in WEAK_CLASSES)
