"""Reading product names and versions from headers, generator tags and banners."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberbasics.protocols import software_names as names
from cyberbasics.scan.software import PRODUCTS
from cyberbasics.vulns.versions import parse_version


def read(reader, text):
    return [(n.product, n.version) for n in reader(text)]


@pytest.mark.parametrize(("header", "expected"), [
    ("Apache/2.4.49 (Unix)", [("apache-httpd", "2.4.49")]),
    ("Apache/2.4.49 (Unix) OpenSSL/1.1.1k PHP/7.4.3",
     [("apache-httpd", "2.4.49"), ("php", "7.4.3")]),
    ("Apache/2.4.29 (Ubuntu)", [("apache-httpd", "2.4.29")]),
    ("Apache/2.4", [("apache-httpd", "2.4")]),  # ServerTokens Minor: imprecise, kept as is
    ("Apache", [("apache-httpd", None)]),
    ("Apache-Coyote/1.1", []),  # Tomcat, not Apache httpd
    ("X-Apache/1.0", []),
    ("nginx/1.18.0", [("nginx", "1.18.0")]),
    ("nginx", [("nginx", None)]),
    ("Microsoft-IIS/10.0", [("microsoft-iis", "10.0")]),
    ("Microsoft-IIS/6.0", [("microsoft-iis", "6.0")]),
    ("LiteSpeed", [("litespeed", None)]),
    ("cloudflare", []),
    ("PHP/7.4.3", [("php", "7.4.3")]),
    ("PHP/8.1.2-1ubuntu2.14", [("php", "8.1.2")]),
    ("PHP/7.4.33, PleskLin", [("php", "7.4.33")]),
    ("ASP.NET", []),
    ("Apache/2.4.49xyzzy", [("apache-httpd", None)]),  # not a version we can trust
    ("", []),
])
def test_product_headers(header, expected):
    assert read(names.from_product_header, header) == expected


@pytest.mark.parametrize(("generator", "expected"), [
    ("WordPress 6.1.1", [("wordpress", "6.1.1")]),
    ("WordPress 6.4.2", [("wordpress", "6.4.2")]),
    ("WordPress", [("wordpress", None)]),
    ("Joomla! - Open Source Content Management", [("joomla", None)]),
    ("Joomla! 3.9", [("joomla", "3.9")]),
    ("Drupal 7 (https://www.drupal.org)", [("drupal", "7")]),
    ("Drupal 10 (https://www.drupal.org)", [("drupal", "10")]),
    ("Wix.com Website Builder", []),
    ("Elementor 3.18.3; features: e_dom_optimization", []),
])
def test_generators(generator, expected):
    assert read(names.from_generator, generator) == expected


@pytest.mark.parametrize(("reader", "banner", "expected"), [
    (names.from_ssh_banner, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", [("openssh", "8.9p1")]),
    (names.from_ssh_banner, "SSH-2.0-OpenSSH_9.8", [("openssh", "9.8")]),
    (names.from_ssh_banner, "SSH-2.0-OpenSSH_for_Windows_8.1", []),
    (names.from_ssh_banner, "SSH-2.0-dropbear_2020.81", [("dropbear", "2020.81")]),
    (names.from_ssh_banner, "SSH-2.0-Cisco-1.25", []),
    (names.from_smtp_banner, "mail.example.com ESMTP Exim 4.92 #2 Mon, 01 Jan 2024",
     [("exim", "4.92")]),
    (names.from_smtp_banner, "mx.example.com ESMTP Postfix (Ubuntu)", [("postfix", None)]),
    (names.from_smtp_banner, "mx.google.com ESMTP abc123 - gsmtp", []),
    (names.from_smtp_banner, "ESMTP Exim 4.94.2. Hello", [("exim", "4.94.2")]),
    (names.from_ftp_banner, "220 ProFTPD 1.3.5 Server (Debian) [::ffff:192.0.2.1]",
     [("proftpd", "1.3.5")]),
    (names.from_ftp_banner, "220 ProFTPD 1.3.5a Server", [("proftpd", "1.3.5a")]),
    (names.from_ftp_banner, "220 ProFTPD Server ready.", [("proftpd", None)]),
    (names.from_ftp_banner, "220 (vsFTPd 3.0.3)", [("vsftpd", "3.0.3")]),
    (names.from_ftp_banner, "220---------- Welcome to Pure-FTPd [privsep] ----------",
     [("pure-ftpd", None)]),
    (names.from_owa_version, "15.1.2242.4", [("microsoft-exchange", "15.1.2242.4")]),
    (names.from_owa_version, "not a build", []),
])
def test_banners(reader, banner, expected):
    assert read(reader, banner) == expected


@pytest.mark.parametrize(("text", "distribution"), [
    ("Apache/2.4.52 (Ubuntu)", "Ubuntu"),
    ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "Ubuntu"),
    ("Apache/2.4.57 (Debian)", "Debian"),
    ("PHP/7.4.33-1+deb11u4", "Debian"),
    ("SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u2", "Debian"),
    ("Apache/2.4.37 (Red Hat Enterprise Linux)", "Red Hat"),
    ("Apache/2.4.6 (CentOS) PHP/5.4.16", "CentOS"),
    ("Apache/2.4.49 (Unix)", None),
    ("Apache/2.4.48 (Win64)", None),
    ("nginx/1.18.0", None),
])
def test_distribution_builds(text, distribution):
    assert names.distribution_build(text) == distribution


READERS = [names.from_product_header, names.from_generator, names.from_owa_version,
           names.from_smtp_banner, names.from_ssh_banner, names.from_ftp_banner,
           names.from_mail_banner]


@given(st.sampled_from(READERS), st.one_of(st.text(max_size=300), st.none(), st.integers()))
def test_readers_never_raise_and_give_known_products_and_comparable_versions(reader, text):
    for named in reader(text):
        assert named.product in PRODUCTS
        if named.version is not None:
            parse_version(named.version)


prefixes = st.sampled_from(["Apache/", "nginx/", "PHP/", "Microsoft-IIS/", "WordPress ",
                            "Drupal ", "SSH-2.0-OpenSSH_", "ESMTP Exim ", "ProFTPD "])


@given(prefixes, st.text(alphabet="0123456789.-+~_abcdefpr (),;/", max_size=30))
def test_versions_read_from_plausible_texts_always_compare(prefix, tail):
    text = prefix + tail
    for reader in READERS:
        for named in reader(text):
            if named.version is not None:
                parse_version(named.version)
    assert names.distribution_build(text) in (None, "Debian", "Red Hat")


def test_long_texts_are_cut():
    [named] = names.from_product_header("nginx/1.2.3 " + "x" * 10_000)
    assert len(named.text) == names.MAX_TEXT


@pytest.mark.parametrize(("reader", "banner", "expected"), [
    (names.from_ftp_banner, "220 ProFTPD 1.3.5rc3 Server", [("proftpd", "1.3.5rc3")]),
    (names.from_ftp_banner, "220-FileZilla Server 1.7.0\r\n220 Please visit",
     [("filezilla-server", "1.7.0")]),
    # A name at the end of a line: the next line's reply code is not its version.
    (names.from_ftp_banner, "220-FileZilla Server\r\n220 Please visit",
     [("filezilla-server", None)]),
    (names.from_ftp_banner, "220-ProFTPD\r\n220 ready", [("proftpd", None)]),
    (names.from_smtp_banner, "220 EX01 Microsoft ESMTP MAIL Service ready at Mon",
     [("microsoft-exchange", None)]),
    (names.from_smtp_banner, "220 mx ESMTP Exim\r\n", [("exim", None)]),
    (names.from_mail_banner, "* OK [CAPABILITY IMAP4rev1] Dovecot (Ubuntu) ready.",
     [("dovecot", None)]),
    (names.from_mail_banner, "+OK Dovecot ready.", [("dovecot", None)]),
    (names.from_mail_banner, "+OK POP3 ready", []),
    (names.from_ssh_banner, "SSH-2.0-OpenSSH", [("openssh", None)]),
    (names.from_ssh_banner, "SSH-2.0-OpenSSH_for_Windows_7.7", []),
])
def test_more_banners(reader, banner, expected):
    assert read(reader, banner) == expected


def test_openssh_for_windows_is_named_as_microsofts_build():
    assert "Microsoft" in names.ssh_vendor_build("SSH-2.0-OpenSSH_for_Windows_7.7")
    assert names.ssh_vendor_build("SSH-2.0-OpenSSH_8.9p1") is None
    assert names.ssh_vendor_build(None) is None


def test_a_release_candidate_comes_before_its_release():
    [named] = names.from_ftp_banner("220 ProFTPD 1.3.5rc3 Server")
    assert parse_version("1.3.4") < parse_version(named.version) < parse_version("1.3.5")
    assert parse_version(named.version) < parse_version("1.3.5a")
