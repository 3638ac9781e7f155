from typer.testing import CliRunner

from cyberbasics.cli.main import app


def test_demo_scans_every_demo_business():
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for domain in ("bakery.example", "plumber.example", "florist.example", "parked.example",
                   "brokendns.example"):
        assert domain in result.output
    assert "could not check" not in result.output.lower()


def test_world_scan_arguments_reach_every_server(world):
    args = world.scan_arguments()
    port_map = args[args.index("--port-map") + 1]
    assert {int(p.split("=")[0]) for p in port_map.split(",")} == {25, 53, 80, 443}
