import json

from typer.testing import CliRunner

from cyberbasics.cli.main import app

runner = CliRunner()


def spf(world, *args):
    return runner.invoke(app, ["spf", "check", *args, "--nameserver",
                               f"{world.dns.host}:{world.dns.port}", "--lab"])


def test_pass_from_a_listed_mail_server(world):
    result = spf(world, "--ip", "127.0.10.1", "--sender", "billing@bakery.example",
                 "--helo", "mx.bakery.example")
    assert result.exit_code == 0
    assert result.stdout.startswith("pass:")
    assert "matched: mx" in result.stdout


def test_fail_as_json(world):
    result = spf(world, "--ip", "192.0.2.1", "--sender", "billing@bakery.example",
                 "--helo", "x.example", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["result"], data["mechanism"]) == ("fail", "-all")
    assert "192.0.2.1" in data["explanation"]


def test_empty_sender_uses_postmaster_at_helo(world):
    result = spf(world, "--ip", "192.0.2.1", "--sender", "", "--helo", "parked.example",
                 "--format", "json")
    assert json.loads(result.stdout)["result"] == "fail"


def test_unreachable_resolver_is_temperror(world):
    result = runner.invoke(app, ["spf", "check", "--ip", "192.0.2.1", "--sender",
                                 "a@bakery.example", "--helo", "x.example", "--nameserver",
                                 "127.0.0.1:9", "--timeout", "0.2", "--lab", "--format", "json"])
    assert json.loads(result.stdout)["result"] == "temperror"


def test_bad_ip_is_explained(world):
    result = spf(world, "--ip", "not-an-ip", "--sender", "a@b.example", "--helo", "x.example")
    assert result.exit_code == 2
    assert "not an IP address" in result.output


def test_takes_every_network_option_and_writes_a_file(world, tmp_path):
    out = tmp_path / "spf.json"
    args = world.scan_arguments()
    result = runner.invoke(app, ["spf", "check", "--ip", "127.0.10.1", "--sender",
                                 "a@bakery.example", "--helo", "mx.bakery.example", *args,
                                 "--timeout", "2", "--domain-timeout", "10",
                                 "--concurrency", "4", "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["result"] == "pass"


def test_csv_is_not_an_spf_format(world):
    result = spf(world, "--ip", "192.0.2.1", "--sender", "a@b.example", "--helo", "x.example",
                 "--format", "csv")
    assert result.exit_code == 2
