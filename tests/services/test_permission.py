"""The permission prompt before an active scan."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from cyberbasics.cli.permission import PermissionNotConfirmed, confirm_permission


def test_confirmed_goes_ahead_without_asking():
    confirm_permission(["shop.com"], confirmed=True, interactive=False,
                       ask=lambda q: pytest.fail("asked"))


def test_without_a_terminal_the_flag_is_required():
    shown = []
    with pytest.raises(PermissionNotConfirmed) as caught:
        confirm_permission(["shop.com", "bakery.com"], confirmed=False, interactive=False,
                           echo=shown.append)
    message = caught.value.message
    assert shown == [message]
    assert "--permission-confirmed" in message and "shop.com, bakery.com" in message
    assert "owner" in message and caught.value.exit_code == 2


def test_on_a_terminal_a_yes_is_needed():
    shown, asked = [], []
    confirm_permission(["shop.com"], confirmed=False, interactive=True,
                       ask=lambda q: asked.append(q) or True, echo=shown.append)
    assert "permission" in asked[0] and "shop.com" in shown[0]
    for answer in (lambda q: False, lambda q: (_ for _ in ()).throw(typer.Abort())):
        with pytest.raises(PermissionNotConfirmed, match="cancelled"):
            confirm_permission(["shop.com"], confirmed=False, interactive=True, ask=answer,
                               echo=lambda text: None)


def test_many_targets_are_summarised():
    with pytest.raises(PermissionNotConfirmed, match="and 5 more"):
        confirm_permission([f"d{i}.com" for i in range(15)], confirmed=False,
                           interactive=False, echo=lambda text: None)


def test_in_a_command_the_default_answer_is_no():
    app = typer.Typer()

    @app.command()
    def scan(domain: str, permission_confirmed: bool = False) -> None:
        confirm_permission([domain], confirmed=permission_confirmed, interactive=True)
        typer.echo("scanning")

    runner = CliRunner()
    refused = runner.invoke(app, ["shop.com"], input="\n")
    assert refused.exit_code == 2 and "scanning" not in refused.output
    assert "cancelled" in refused.output  # (the runner mixes stderr into the output)
    agreed = runner.invoke(app, ["shop.com"], input="y\n")
    assert agreed.exit_code == 0 and "scanning" in agreed.output
    assert runner.invoke(app, ["shop.com", "--permission-confirmed"]).exit_code == 0
