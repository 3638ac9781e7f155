"""`cyberbasics report`: the review report of one business as an HTML page, a PDF, the JSON
result (`cyberbasics.result/1`) or CSV, in the language asked for; with --previous, the change
since an earlier review; with --brand-name and --brand-logo, an advisor's branding."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .assess import Lang, Scan, _review
from .options import Output, write_output


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


def report(
    answers: Annotated[Path, typer.Option(
        "--answers", metavar="YAML", help="The answers file (cyberbasics assess --template "
                                          "writes a blank one).")],
    scan: Scan = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", metavar="JSON", help="An earlier review of the same business "
                                           "(report --format json): the report shows what "
                                           "changed since.")] = None,
    lang: Lang = "en",
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.html,
    output: Output = None,
    brand_name: Annotated[str | None, typer.Option(
        "--brand-name", metavar="TEXT", help="The advisor's or programme's name, on the "
                                             "cover and in the footer.")] = None,
    brand_logo: Annotated[Path | None, typer.Option(
        "--brand-logo", metavar="PNG", help="The advisor's logo: a PNG of at most 256 KiB "
                                            "and 4096 pixels a side, embedded in the "
                                            "report.")] = None,
) -> None:
    """The review report: score and band, the first five things to do, every area, framework
    readiness and the scan's evidence, as HTML, PDF (needs -o), JSON or CSV."""
    from ..report.review_model import (
        BrandingError,
        PreviousResultError,
        build_report,
        make_branding,
        read_previous,
    )

    if format is ReportFormat.pdf and output is None:
        raise typer.BadParameter("a PDF is binary: give the file to write with -o FILE",
                                 param_hint="-o")
    try:
        logo = brand_logo.read_bytes() if brand_logo is not None else None
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {brand_logo}: {exc}",
                                 param_hint="--brand-logo") from None
    try:
        make_branding(brand_name)
    except BrandingError as exc:
        raise typer.BadParameter(str(exc), param_hint="--brand-name") from None
    try:
        branding = make_branding(brand_name, logo)
    except BrandingError as exc:
        raise typer.BadParameter(f"{brand_logo}: {exc}", param_hint="--brand-logo") from None
    earlier = None
    if previous is not None:
        try:
            earlier = read_previous(previous.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"cannot read {previous}: {exc}",
                                     param_hint="--previous") from None
        except PreviousResultError as exc:
            raise typer.BadParameter(f"{previous}: {exc}", param_hint="--previous") from None
    review = _review(answers, scan, lang)
    try:
        model = build_report(review, previous=earlier, branding=branding)
    except PreviousResultError as exc:
        raise typer.BadParameter(f"{previous}: {exc}", param_hint="--previous") from None
    if format is ReportFormat.pdf:
        from ..report.review_pdf import to_pdf

        assert output is not None
        try:
            output.write_bytes(to_pdf(model))
        except OSError as exc:
            raise typer.BadParameter(f"cannot write {output}: {exc}") from None
        return
    if format is ReportFormat.json:
        text = json.dumps(dict(model.result), indent=2, ensure_ascii=False) + "\n"
    elif format is ReportFormat.csv:
        from ..report.review_csv import to_csv

        text = to_csv(model)
    else:
        from ..report.review_html import to_html

        text = to_html(model)
    write_output(text, output)
