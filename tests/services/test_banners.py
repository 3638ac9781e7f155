"""The banner parsers: real-world examples, and never an exception whatever arrives."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberbasics.lab.services import mysql_greeting
from cyberbasics.protocols import banners, software_names
from cyberbasics.scan.evidence import sensitive_files
from cyberbasics.scan.software import PRODUCTS

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("banner", "product", "version", "old"), [
    ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n", "openssh", "8.9p1", False),
    ("SSH-2.0-OpenSSH_7.4\r\n", "openssh", "7.4", True),
    # Microsoft's build, numbered its own way and updated with Windows: not read as OpenSSH.
    ("SSH-2.0-OpenSSH_for_Windows_8.1\r\n", None, None, None),
    ("SSH-1.99-OpenSSH_3.9p1\n", "openssh", "3.9p1", True),
    ("SSH-2.0-dropbear_2022.83\r\n", "dropbear", "2022.83", False),
    ("SSH-2.0-dropbear\r\n", "dropbear", None, None),
    ("Welcome!\r\nSSH-2.0-Cisco-1.25\r\n", None, None, None),
])
def test_ssh_banners(banner, product, version, old):
    ident = banners.parse_ssh_banner(banner.encode())
    assert ident is not None and (ident.product, ident.version) == (product, version)
    assert banners.ssh_out_of_support(ident.product, ident.version) is old


def test_not_ssh():
    assert banners.parse_ssh_banner(b"HTTP/1.1 400 Bad Request\r\n") is None
    assert banners.parse_ssh_banner(b"SSH-2.0-\r\n") is None


@pytest.mark.parametrize(("parser", "text", "expected"), [
    (banners.ftp_product, "220 ProFTPD 1.3.5e Server (Debian) [::ffff:1.2.3.4]",
     ("proftpd", "1.3.5e")),
    (banners.ftp_product, "220 (vsFTPd 3.0.3)", ("vsftpd", "3.0.3")),
    (banners.ftp_product, "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------",
     ("pure-ftpd", None)),
    (banners.ftp_product, "220-FileZilla Server version 0.9.41 beta", ("filezilla-server",
                                                                      "0.9.41")),
    (banners.ftp_product, "220 Service ready", None),
    (banners.smtp_product, "220 mx.example.com ESMTP Exim 4.96 Mon, 01 Jan 2024",
     ("exim", "4.96")),
    (banners.smtp_product, "220 mail.example.com ESMTP Postfix (Debian/GNU)", ("postfix", None)),
    (banners.smtp_product, "220 EX01 Microsoft ESMTP MAIL Service ready",
     ("microsoft-exchange", None)),
    (banners.mail_product, "* OK [CAPABILITY IMAP4rev1] Dovecot (Ubuntu) ready.",
     ("dovecot", None)),
])
def test_greetings_name_products(parser, text, expected):
    assert parser(text.encode()) == expected


def test_mail_capabilities():
    assert banners.pop3_capabilities(b"+OK\r\nTOP\r\nSTLS\r\nUSER\r\n.\r\n") == {
        "TOP", "STLS", "USER"}
    assert banners.pop3_capabilities(b"-ERR unknown command\r\n") is None
    assert banners.pop3_capa_complete(b"+OK\r\nTOP\r\n.\r\n")
    assert not banners.pop3_capa_complete(b"+OK\r\nTOP\r\n")
    greeting = b"* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN] ready\r\n"
    assert "STARTTLS" in banners.imap_capabilities(greeting)
    assert banners.imap_capabilities(b"* OK ready\r\n") is None
    answer = b"* CAPABILITY IMAP4rev1 LOGINDISABLED\r\na1 OK done\r\n"
    assert banners.imap_capabilities(answer) == {"IMAP4REV1", "LOGINDISABLED"}
    assert banners.imap_tagged_done(answer, "a1")
    assert banners.reply_complete(b"220-first\r\n220 last\r\n")
    assert not banners.reply_complete(b"220-first\r\n")


def test_databases():
    greeting = banners.parse_mysql_greeting(mysql_greeting("5.5.5-10.3.39-MariaDB-0+deb10u1"))
    assert (greeting.product, greeting.version) == ("mariadb", "10.3.39")
    greeting = banners.parse_mysql_greeting(mysql_greeting("5.7.44-log"))
    assert (greeting.product, greeting.version) == ("mysql", "5.7.44")
    refused = (b"\x44\x00\x00\x00\xffj\x04"
               b"Host '192.0.2.9' is not allowed to connect to this MySQL server")
    greeting = banners.parse_mysql_greeting(refused)
    assert greeting.server_version is None and "not allowed" in greeting.error
    assert banners.parse_mysql_greeting(b"\x05\x00\x00\x00\x0a5.7") is None
    assert banners.parse_redis_reply(b"-NOAUTH Authentication required.\r\n").access == "password"
    assert banners.parse_redis_reply(b"-DENIED Redis is running in protected mode\r\n"
                                     ).access == "protected"
    info = b"# Server\r\nredis_version:6.0.16\r\n"
    reply = banners.parse_redis_reply(b"$%d\r\n%s\r\n" % (len(info), info))
    assert (reply.access, reply.version) == ("open", "6.0.16")
    assert banners.redis_reply_complete(b"$%d\r\n%s" % (len(info), info))
    assert not banners.redis_reply_complete(b"$500\r\n# Server")
    assert banners.parse_memcached_version(b"VERSION 1.6.9\r\n") == "1.6.9"
    assert banners.is_postgres_ssl_answer(b"N") and banners.is_postgres_ssl_answer(b"S")
    assert not banners.is_postgres_ssl_answer(b"HTTP/1.0 400")


def test_remote_access_and_others():
    assert banners.is_rdp_answer(bytes.fromhex("030000130ed000001234000200080002000000"))
    assert not banners.is_rdp_answer(b"\x03\x00\x00\x0b\x06\xe0")
    assert banners.vnc_version(b"RFB 003.008\n") == "3.8"
    assert banners.vnc_version(b"RFB 3.8") is None
    assert banners.is_telnet(b"\xff\xfd\x18\xff\xfd\x20")
    assert banners.is_telnet(b"Ubuntu 22.04\r\nrouter login: ")
    assert banners.telnet_text(b"\xff\xfd\x18\xff\xfa\x18\x01\xff\xf0\r\nlab login: ") == \
        "lab login:"
    assert banners.rsync_version(b"@RSYNCD: 31.0\n") == "31.0"


def test_http_answers():
    answer = banners.parse_http_response(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: MiniServ/1.890\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    assert answer.body == b"hello world" and answer.complete
    assert banners.identify_web(answer).software == (("webmin", "1.890"),)
    partial = banners.parse_http_response(b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                                          eof=False)
    assert not partial.complete
    assert banners.parse_http_response(b"SSH-2.0-OpenSSH\r\n\r\n") is None
    es = banners.parse_http_response(b'HTTP/1.1 200 OK\r\n\r\n{"cluster_name":"x",'
                                     b'"version":{"number":"8.11.1"}}')
    assert banners.json_service(es) == ("elasticsearch", "8.11.1")
    couch = banners.parse_http_response(b'HTTP/1.1 200 OK\r\n\r\n{"couchdb":"Welcome",'
                                        b'"version":"3.3.2"}')
    assert banners.json_service(couch) == ("couchdb", "3.3.2")


def page(body: str, headers: str = "") -> banners.HttpAnswer:
    return banners.parse_http_response(
        f"HTTP/1.1 200 OK\r\n{headers}Content-Type: text/html\r\n\r\n{body}".encode())


@pytest.mark.parametrize(("answer", "location", "expected"), [
    (page('<script src="/remote/fgt_lang?lang=en"></script>'), None,
     ("fortinet-fortios", None)),
    (page("<title>Please Login</title>"), "/remote/login?lang=en", ("fortinet-fortios", None)),
    (page("<title>Ivanti Connect Secure</title>"), None, ("ivanti-connect-secure", None)),
    (page('<a href="/dana-na/auth/url_default/welcome.cgi">'), None,
     ("ivanti-connect-secure", None)),
    (page("<title>NetScaler Gateway</title>"), None, ("citrix-netscaler", None)),
    (page("x", "Server: SonicWALL SSL-VPN Web Server\r\n"), None, ("sonicwall-sonicos", None)),
    (page("<title>GlobalProtect Portal</title>"), None, ("paloalto-panos", None)),
    (page("<title>Lab</title>FortiOS v7.2.4"), "/remote/login", ("fortinet-fortios", "7.2.4")),
    # A reseller's page that merely mentions vendors is not a portal.
    (page("<title>Our partners</title><p>We sell Fortinet, SonicWall and Ivanti.</p>"), None,
     None),
])
def test_portals(answer, location, expected):
    assert banners.identify_portal(answer, location) == expected


def test_panels():
    assert banners.identify_web(page("<title>cPanel Login</title>")).panel == "cPanel"
    assert banners.identify_web(page("<title>WHM Login</title>")).panel == "cPanel WHM"
    assert banners.identify_web(page("<title>Synology DiskStation</title>")).panel == \
        "Synology DiskStation Manager"
    assert banners.identify_web(page("<title>Shop</title><p>We love routers</p>")).panel is None
    denied = banners.parse_http_response(
        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="RT-AC68U"\r\n\r\n')
    assert banners.identify_web(denied).login_realm == "RT-AC68U"


def test_product_ids_are_known():
    found = [banners.ftp_product(t) for t in (b"ProFTPD", b"vsFTPd", b"Pure-FTPd",
                                               b"FileZilla Server")]
    found += [banners.smtp_product(t) for t in (b"Exim 4.9", b"Postfix",
                                                b"Microsoft ESMTP MAIL Service")]
    found += [banners.mail_product(b"Dovecot"), ("openssh", None), ("dropbear", None),
              ("mysql", None), ("mariadb", None), ("redis", None), ("memcached", None),
              ("couchdb", None), ("elasticsearch", None), ("opensearch", None),
              ("webmin", None)]
    found += [(p, None) for p, *_ in banners._PORTALS]
    assert {product for product, _ in found} <= set(PRODUCTS)


# --- fuzzing ------------------------------------------------------------------------------------

PREFIXES = [b"", b"SSH-2.0-", b"220 ", b"220-", b"+OK ", b"* OK [CAPABILITY ", b"$", b"-",
            b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 302 Found\r\nLocation: ", b"\x03\x00",
            b"RFB ", b"\xff\xfd", b"@RSYNCD: ", b"VERSION ", b"\x4a\x00\x00\x00\x0a",
            b"\x10\x00\x00\x00\xff", b"PK\x03\x04", b"<?php", b"ref: refs/", b"{\"version\":"]
fuzz_bytes = st.builds(lambda p, b: p + b, st.sampled_from(PREFIXES), st.binary(max_size=600))


@FUZZ
@given(fuzz_bytes, st.booleans())
def test_parsers_never_raise(data, eof):
    banners.parse_ssh_banner(data)
    banners.ftp_product(data)
    banners.smtp_product(data)
    banners.mail_product(data)
    banners.reply_complete(data)
    banners.reply_code(data)
    banners.pop3_capabilities(data)
    banners.pop3_capa_complete(data)
    banners.imap_capabilities(data)
    banners.imap_tagged_done(data, "a1")
    banners.is_pop3_greeting(data)
    banners.is_imap_greeting(data)
    banners.mysql_packet_complete(data)
    greeting = banners.parse_mysql_greeting(data)
    if greeting is not None and greeting.product is not None:
        assert greeting.product in PRODUCTS
    banners.redis_reply_complete(data)
    banners.parse_redis_reply(data)
    banners.parse_memcached_version(data)
    banners.is_postgres_ssl_answer(data)
    banners.rdp_answer_complete(data)
    banners.is_rdp_answer(data)
    banners.vnc_version(data)
    banners.is_telnet(data)
    banners.telnet_text(data)
    banners.rsync_version(data)
    banners.banner_text(data)
    answer = banners.parse_http_response(data, eof=eof)
    if answer is not None:
        identity = banners.identify_web(answer, location=banners.as_text(data[:40]))
        assert identity.portal is None or identity.portal[0] in PRODUCTS
        banners.json_service(answer)
    for kind in sensitive_files.RECOGNISERS:
        sensitive_files.recognise(kind, data)


@FUZZ
@given(st.text(max_size=300))
def test_html_pages_are_never_taken_for_text_files(text):
    page_bytes = f"<!DOCTYPE html><html><body>{text}</body></html>".encode()
    for kind in ("git-head", "git-config", "env", "htpasswd", "sql"):
        assert sensitive_files.recognise(kind, page_bytes) is None


@FUZZ
@given(st.from_regex(r"SSH-2\.0-[\x21-\x7e]{1,40}( [ -~]{0,40})?", fullmatch=True))
def test_any_valid_ssh_line_is_read(line):
    ident = banners.parse_ssh_banner(line + "\r\n")
    assert ident is not None and ident.protocol == "2.0"
    assert ident.product is None or ident.product in PRODUCTS


# --- review fixes: one table for names and versions, a linear title search ----------------------


def test_openssh_for_windows_is_microsofts_build_not_an_outdated_openssh():
    ident = banners.parse_ssh_banner(b"SSH-2.0-OpenSSH_for_Windows_7.7\r\n")
    assert ident is not None and ident.product is None and ident.version is None
    assert ident.vendor_build is not None and "Microsoft" in ident.vendor_build
    assert banners.ssh_out_of_support(ident.product, ident.version) is None


@pytest.mark.parametrize("banner", [
    "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "SSH-2.0-OpenSSH_for_Windows_7.7",
    "SSH-2.0-dropbear_2020.81", "SSH-2.0-dropbear", "SSH-2.0-Cisco-1.25",
    "SSH-2.0-OpenSSH_7.4-hpn14v5", "SSH-1.99-OpenSSH_3.9p1",
])
def test_ssh_names_come_from_the_one_table(banner):
    ident = banners.parse_ssh_banner(banner + "\r\n")
    named = software_names.from_ssh_banner(banner)
    assert (ident.product, ident.version) == ((named[0].product, named[0].version) if named
                                              else (None, None))


@pytest.mark.parametrize(("parser", "reader", "text"), [
    (banners.ftp_product, software_names.from_ftp_banner, "220 ProFTPD 1.3.5rc3 Server"),
    (banners.ftp_product, software_names.from_ftp_banner, "220 ProFTPD 1.3.5e Server"),
    (banners.ftp_product, software_names.from_ftp_banner, "220 (vsFTPd 3.0.3)"),
    (banners.ftp_product, software_names.from_ftp_banner, "220 Service ready"),
    (banners.smtp_product, software_names.from_smtp_banner, "220 mx ESMTP Exim 4.96 Mon"),
    (banners.smtp_product, software_names.from_smtp_banner,
     "220 EX01 Microsoft ESMTP MAIL Service ready"),
    (banners.mail_product, software_names.from_mail_banner, "* OK Dovecot (Ubuntu) ready."),
])
def test_greetings_agree_with_software_names(parser, reader, text):
    named = reader(text)
    assert parser(text.encode()) == ((named[0].product, named[0].version) if named else None)


def test_release_candidates_are_read_whole():
    assert banners.ftp_product(b"220 ProFTPD 1.3.5rc3 Server (Debian)") == ("proftpd",
                                                                            "1.3.5rc3")


def _reference_title(text: str) -> str | None:
    """What the title was before (a regular expression, quadratic on hostile pages)."""
    import re

    match = re.search(r"<title(?=[\s>/])[^>]*>(.*?)</title", text[:65536], re.I | re.S)
    return banners.banner_text(re.sub(r"\s+", " ", match[1]), 120) or None if match else None


HOSTILE_PAGES = [
    "<title>" * (512 * 1024 // 7),
    "<title " * (512 * 1024 // 7),
    "<TITLE>" + "x" * (512 * 1024),
    "<title" + " a" * (256 * 1024),
    "</title" * (512 * 1024 // 7),
    "<title><" * (512 * 1024 // 8),
    "FortiOS " * (512 * 1024 // 8),
]


@pytest.mark.parametrize("hostile", HOSTILE_PAGES, ids=range(len(HOSTILE_PAGES)))
def test_a_hostile_page_costs_linear_time(hostile):
    import time

    body = hostile.encode()
    answer = banners.parse_http_response(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n" + body)
    started = time.perf_counter()
    banners.html_title(hostile)
    banners.identify_web(answer, "/remote/login")
    banners.identify_portal(answer)
    assert time.perf_counter() - started < 0.5  # was 2.6 s per title, 5.4 s per page


def test_titles():
    assert banners.html_title("<html><TITLE lang=en>\n cPanel  Login </Title>") == "cPanel Login"
    assert banners.html_title("<titles>no</titles><title>yes</title>") == "yes"
    assert banners.html_title("<title>never closed" + "x" * 10_000) is None
    assert banners.html_title("<title></title>") is None
    assert banners.html_title("no title here") is None


@FUZZ
@given(st.text(alphabet="<>/ title\nTITLEx", max_size=200), st.text(max_size=80),
       st.text(alphabet="<>/ title\nTITLEx", max_size=200))
def test_title_search_matches_the_old_expression_on_ordinary_pages(before, title, after):
    if "<" in title:
        title = title.replace("<", "")
    page = f"{before}<title>{title}</title>{after}"
    if "<title" in before.lower():
        return  # another title tag first: covered by the examples above
    assert banners.html_title(page) == _reference_title(page)
