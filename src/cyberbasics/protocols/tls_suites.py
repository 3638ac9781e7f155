"""TLS 1.0–1.2 cipher suites by IANA code point, and the classes of weakness we look for.

The table was generated from the IANA TLS Cipher Suites registry as carried by the
`tls_parser` package (2.0.2, a dependency of SSLyze); `tests/protocols/test_tls_suites.py`
holds every entry to it. PSK, SRP, Kerberos and GOST suites are left out: a public website
does not negotiate them, and offering them only makes probes longer.
"""

from __future__ import annotations

from types import MappingProxyType

# The classes a server must not accept (web.tls.ciphers), with the words reports use.
WEAK_CLASSES = MappingProxyType({
    "null": "no encryption (NULL)",
    "export": "export-grade (deliberately weakened, breakable in hours)",
    "anonymous": "anonymous (no server authentication)",
    "rc4": "RC4 (broken stream cipher)",
    "des": "DES or 3DES (64-bit blocks, Sweet32)",
    "no_forward_secrecy": "without forward secrecy (static RSA or DH key exchange)",
})

# Key exchanges with a static key: recorded traffic can be decrypted once the key leaks.
_STATIC_KEY_EXCHANGES = frozenset({"RSA", "RSA_EXPORT", "DH_RSA", "DH_DSS", "DH_RSA_EXPORT",
                                   "DH_DSS_EXPORT", "ECDH_RSA", "ECDH_ECDSA"})

SUITES: MappingProxyType[int, str] = MappingProxyType(dict([
    (0x0001, "RSA_WITH_NULL_MD5"),
    (0x0002, "RSA_WITH_NULL_SHA"),
    (0x0003, "RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0004, "RSA_WITH_RC4_128_MD5"),
    (0x0005, "RSA_WITH_RC4_128_SHA"),
    (0x0006, "RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0007, "RSA_WITH_IDEA_CBC_SHA"),
    (0x0008, "RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0009, "RSA_WITH_DES_CBC_SHA"),
    (0x000a, "RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x000b, "DH_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000c, "DH_DSS_WITH_DES_CBC_SHA"),
    (0x000d, "DH_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x000e, "DH_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000f, "DH_RSA_WITH_DES_CBC_SHA"),
    (0x0010, "DH_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0011, "DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0012, "DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0013, "DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x0014, "DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0015, "DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0016, "DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0017, "DH_anon_EXPORT_WITH_RC4_40_MD5"),
    (0x0018, "DH_anon_WITH_RC4_128_MD5"),
    (0x0019, "DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    (0x001a, "DH_anon_WITH_DES_CBC_SHA"),
    (0x001b, "DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x002f, "RSA_WITH_AES_128_CBC_SHA"),
    (0x0030, "DH_DSS_WITH_AES_128_CBC_SHA"),
    (0x0031, "DH_RSA_WITH_AES_128_CBC_SHA"),
    (0x0032, "DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0033, "DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0034, "DH_anon_WITH_AES_128_CBC_SHA"),
    (0x0035, "RSA_WITH_AES_256_CBC_SHA"),
    (0x0036, "DH_DSS_WITH_AES_256_CBC_SHA"),
    (0x0037, "DH_RSA_WITH_AES_256_CBC_SHA"),
    (0x0038, "DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x0039, "DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003a, "DH_anon_WITH_AES_256_CBC_SHA"),
    (0x003b, "RSA_WITH_NULL_SHA256"),
    (0x003c, "RSA_WITH_AES_128_CBC_SHA256"),
    (0x003d, "RSA_WITH_AES_256_CBC_SHA256"),
    (0x003e, "DH_DSS_WITH_AES_128_CBC_SHA256"),
    (0x003f, "DH_RSA_WITH_AES_128_CBC_SHA256"),
    (0x0040, "DHE_DSS_WITH_AES_128_CBC_SHA256"),
    (0x0041, "RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0042, "DH_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0043, "DH_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0044, "DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0045, "DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0046, "DH_anon_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0067, "DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x0068, "DH_DSS_WITH_AES_256_CBC_SHA256"),
    (0x0069, "DH_RSA_WITH_AES_256_CBC_SHA256"),
    (0x006a, "DHE_DSS_WITH_AES_256_CBC_SHA256"),
    (0x006b, "DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x006c, "DH_anon_WITH_AES_128_CBC_SHA256"),
    (0x006d, "DH_anon_WITH_AES_256_CBC_SHA256"),
    (0x0084, "RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0085, "DH_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0086, "DH_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0087, "DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0088, "DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0089, "DH_anon_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0096, "RSA_WITH_SEED_CBC_SHA"),
    (0x0097, "DH_DSS_WITH_SEED_CBC_SHA"),
    (0x0098, "DH_RSA_WITH_SEED_CBC_SHA"),
    (0x0099, "DHE_DSS_WITH_SEED_CBC_SHA"),
    (0x009a, "DHE_RSA_WITH_SEED_CBC_SHA"),
    (0x009b, "DH_anon_WITH_SEED_CBC_SHA"),
    (0x009c, "RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "RSA_WITH_AES_256_GCM_SHA384"),
    (0x009e, "DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009f, "DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00a0, "DH_RSA_WITH_AES_128_GCM_SHA256"),
    (0x00a1, "DH_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00a2, "DHE_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00a3, "DHE_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a4, "DH_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00a5, "DH_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a6, "DH_anon_WITH_AES_128_GCM_SHA256"),
    (0x00a7, "DH_anon_WITH_AES_256_GCM_SHA384"),
    (0x00ba, "RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bb, "DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bc, "DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bd, "DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00be, "DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00bf, "DH_anon_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x00c0, "RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c1, "DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c2, "DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c3, "DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c4, "DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00c5, "DH_anon_WITH_CAMELLIA_256_CBC_SHA256"),
    (0xc001, "ECDH_ECDSA_WITH_NULL_SHA"),
    (0xc002, "ECDH_ECDSA_WITH_RC4_128_SHA"),
    (0xc003, "ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc004, "ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc005, "ECDH_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc006, "ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xc007, "ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc008, "ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc009, "ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc00b, "ECDH_RSA_WITH_NULL_SHA"),
    (0xc00c, "ECDH_RSA_WITH_RC4_128_SHA"),
    (0xc00d, "ECDH_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc00e, "ECDH_RSA_WITH_AES_128_CBC_SHA"),
    (0xc00f, "ECDH_RSA_WITH_AES_256_CBC_SHA"),
    (0xc010, "ECDHE_RSA_WITH_NULL_SHA"),
    (0xc011, "ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc012, "ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc013, "ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc014, "ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc015, "ECDH_anon_WITH_NULL_SHA"),
    (0xc016, "ECDH_anon_WITH_RC4_128_SHA"),
    (0xc017, "ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0xc018, "ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xc019, "ECDH_anon_WITH_AES_256_CBC_SHA"),
    (0xc023, "ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc024, "ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc025, "ECDH_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc026, "ECDH_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc027, "ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc028, "ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc029, "ECDH_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc02a, "ECDH_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc02b, "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02c, "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02d, "ECDH_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02e, "ECDH_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02f, "ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc030, "ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc031, "ECDH_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc032, "ECDH_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc03c, "RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc03d, "RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc03e, "DH_DSS_WITH_ARIA_128_CBC_SHA256"),
    (0xc03f, "DH_DSS_WITH_ARIA_256_CBC_SHA384"),
    (0xc040, "DH_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc041, "DH_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc042, "DHE_DSS_WITH_ARIA_128_CBC_SHA256"),
    (0xc043, "DHE_DSS_WITH_ARIA_256_CBC_SHA384"),
    (0xc044, "DHE_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc045, "DHE_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc046, "DH_anon_WITH_ARIA_128_CBC_SHA256"),
    (0xc047, "DH_anon_WITH_ARIA_256_CBC_SHA384"),
    (0xc048, "ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc049, "ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc04a, "ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc04b, "ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc04c, "ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc04d, "ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc04e, "ECDH_RSA_WITH_ARIA_128_CBC_SHA256"),
    (0xc04f, "ECDH_RSA_WITH_ARIA_256_CBC_SHA384"),
    (0xc050, "RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc051, "RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc052, "DHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc053, "DHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc054, "DH_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc055, "DH_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc056, "DHE_DSS_WITH_ARIA_128_GCM_SHA256"),
    (0xc057, "DHE_DSS_WITH_ARIA_256_GCM_SHA384"),
    (0xc058, "DH_DSS_WITH_ARIA_128_GCM_SHA256"),
    (0xc059, "DH_DSS_WITH_ARIA_256_GCM_SHA384"),
    (0xc05a, "DH_anon_WITH_ARIA_128_GCM_SHA256"),
    (0xc05b, "DH_anon_WITH_ARIA_256_GCM_SHA384"),
    (0xc05c, "ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc05d, "ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc05e, "ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc05f, "ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc060, "ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc061, "ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc062, "ECDH_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc063, "ECDH_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc072, "ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc073, "ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc074, "ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc075, "ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc076, "ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc077, "ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc078, "ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc079, "ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc07a, "RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc07b, "RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc07c, "DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc07d, "DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc07e, "DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc07f, "DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc080, "DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc081, "DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc082, "DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc083, "DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc084, "DH_anon_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc085, "DH_anon_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc086, "ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc087, "ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc088, "ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc089, "ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc08a, "ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc08b, "ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc08c, "ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    (0xc08d, "ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    (0xc09c, "RSA_WITH_AES_128_CCM"),
    (0xc09d, "RSA_WITH_AES_256_CCM"),
    (0xc09e, "DHE_RSA_WITH_AES_128_CCM"),
    (0xc09f, "DHE_RSA_WITH_AES_256_CCM"),
    (0xc0a0, "RSA_WITH_AES_128_CCM_8"),
    (0xc0a1, "RSA_WITH_AES_256_CCM_8"),
    (0xc0a2, "DHE_RSA_WITH_AES_128_CCM_8"),
    (0xc0a3, "DHE_RSA_WITH_AES_256_CCM_8"),
    (0xc0ac, "ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0ad, "ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xc0ae, "ECDHE_ECDSA_WITH_AES_128_CCM_8"),
    (0xc0af, "ECDHE_ECDSA_WITH_AES_256_CCM_8"),
    (0xcca8, "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xcca9, "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccaa, "DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
]))


def suite_name(code: int) -> str:
    name = SUITES.get(code)
    return f"TLS_{name}" if name else f"unknown suite {code:#06x}"


def classes_of(code: int) -> frozenset[str]:
    """The weakness classes of a suite (empty for a suite we consider sound)."""
    name = SUITES.get(code)
    if name is None:
        return frozenset()
    key_exchange, _, cipher = name.partition("_WITH_")
    tokens = set(cipher.split("_"))
    found = set()
    if cipher.startswith("NULL"):
        found.add("null")
    if "EXPORT" in key_exchange:
        found.add("export")
    if key_exchange.endswith("_anon") or "_anon_" in key_exchange:
        found.add("anonymous")
    if "RC4" in tokens:
        found.add("rc4")
    if tokens & {"DES", "3DES", "DES40"}:
        found.add("des")
    if key_exchange in _STATIC_KEY_EXCHANGES:
        found.add("no_forward_secrecy")
    return frozenset(found)


def suites_of_class(name: str) -> tuple[int, ...]:
    if name not in WEAK_CLASSES:
        raise ValueError(f"unknown class {name!r}")
    return _BY_CLASS[name]


ALL_SUITES: tuple[int, ...] = tuple(SUITES)
_BY_CLASS = {name: tuple(code for code in SUITES if name in classes_of(code))
             for name in WEAK_CLASSES}

# Suites that exist before TLS 1.2 (no SHA-256/384 MACs, no AEAD): what a TLS 1.0/1.1 hello
# offers. SSL 3 hellos carry no extensions, so they offer only the classic, pre-ECC suites
# (code points below 0x00C0), which also keeps them short.
_TLS12_ONLY = ("_SHA256", "_SHA384", "_GCM_", "_CCM", "CHACHA20")
PRE_TLS12_SUITES: tuple[int, ...] = tuple(
    code for code, name in SUITES.items() if not any(part in name for part in _TLS12_ONLY))
SSL3_SUITES: tuple[int, ...] = tuple(code for code in PRE_TLS12_SUITES if code < 0x00C0)
