"""Outside lab mode, DNS answers that point at private or reserved addresses must never be
connected to: the checks that need those connections say why they could not check."""

import asyncio
import itertools
import socket
from dataclasses import replace

import dns.message
import dns.rdatatype
import dns.rrset

from cyberbasics.lab.world import txt
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.scan.engine import scan_domains

from .lab_scan import lab_dns


async def test_private_answers_are_refused_outside_the_lab(tmp_path):
    records = {
        "shop.com": [("MX", "10 mx.shop.com."), ("MX", "20 mx6.shop.com.")],
        "mx.shop.com": [("A", "10.0.0.25")],
        "mx6.shop.com": [("AAAA", "::ffff:192.168.1.25")],
        "_mta-sts.shop.com": [txt("v=STSv1; id=1")],
        "mta-sts.shop.com": [("A", "169.254.169.254")],
        "ns1.shop.com": [("A", "127.0.0.1")], "ns2.shop.com": [("A", "127.0.0.1")],
    }
    async with lab_dns([ZoneSpec("shop.com", records)], tmp_path) as (_, config):
        # The resolver stays on loopback (a configured resolver is not a scan target).
        outside = replace(config, lab=False, port_map={})
        [result] = await scan_domains(["shop.com"], outside)
    found = {f.check: f for f in result.findings}
    starttls = found["email.starttls"]
    assert str(starttls.status) == "error"
    reasons = " ".join(s.get("error", "") for s in starttls.evidence["servers"])
    assert "private address" in reasons
    mta_sts = found["email.mta_sts"]
    assert str(mta_sts.status) == "error" and "link-local" in mta_sts.summary
    nameservers = found["domain.nameservers"]
    assert str(nameservers.status) == "error" and "loopback" in nameservers.summary


async def test_web_and_tls_never_connect_to_private_answers(tmp_path):
    records = {
        "shop.com": [("A", "10.0.0.80")],
        "www.shop.com": [("AAAA", "::ffff:192.168.1.80")],
        "ns1.shop.com": [("A", "127.0.0.1")], "ns2.shop.com": [("A", "127.0.0.1")],
    }
    async with lab_dns([ZoneSpec("shop.com", records)], tmp_path,
                       checks=("web.https", "web.tls.*")) as (_, config):
        outside = replace(config, lab=False, port_map={})
        [result] = await scan_domains(["shop.com"], outside)
    for finding in result.findings:
        assert str(finding.status) == "error", finding.check
    assert "private address" in " ".join(f.summary for f in result.findings)


class RebindingDns(asyncio.DatagramProtocol):
    """Answers A queries with a lab address, then a private one, alternately: a resolver
    trick to make a second lookup reach an inside machine."""

    def __init__(self, answers):
        self.answers = itertools.cycle(answers)
        self.a_queries = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        question = query.question[0]
        if question.rdtype == dns.rdatatype.A:
            self.a_queries += 1
            reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A",
                                                    next(self.answers)))
        elif question.rdtype == dns.rdatatype.SOA:
            reply.answer.append(dns.rrset.from_text(
                question.name, 60, "IN", "SOA", "ns1.shop.com. admin.shop.com. 1 2 3 4 5"))
        self.transport.sendto(reply.to_wire(), addr)


async def test_rebinding_answers_never_redirect_a_connection(tmp_path, monkeypatch):
    from cyberbasics.config import ScanConfig
    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.tls_servers import OpenSslServer, openssl_context

    ca = LabCA.create(tmp_path / "ca")
    connected = []
    real_connect = socket.socket.connect

    def spy(sock, address):
        connected.append(address[0])
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    loop = asyncio.get_running_loop()
    cert = ca.issue(["shop.com", "www.shop.com"])
    async with OpenSslServer(openssl_context(cert), host="127.0.30.1") as server:
        transport, rebinding = await loop.create_datagram_endpoint(
            lambda: RebindingDns(["127.0.30.1", "10.0.0.1"]), local_addr=("127.0.0.1", 0))
        try:
            port = transport.get_extra_info("sockname")[1]
            config = ScanConfig(nameservers=(("127.0.0.1", port),), lab=True, timeout=1.0,
                                port_map={443: server.port, 80: 9}, ca_file=ca.cert_path,
                                checks=("web.https", "web.tls.*", "web.certificate.valid"))
            [result] = await scan_domains(["shop.com"], config)
        finally:
            transport.close()
    assert rebinding.a_queries >= 2  # so some answer was the private one
    assert connected and set(connected) <= {"127.0.30.1", "127.0.0.1"}
    assert "10.0.0.1" not in connected
    found = {f.check: str(f.status) for f in result.findings}
    assert found["web.certificate.valid"] == "pass"
