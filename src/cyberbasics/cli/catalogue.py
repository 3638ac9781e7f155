"""`cyberbasics catalogue`: validate the inside-view catalogue, or print it for other tools."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

catalogue_app = typer.Typer(help="The inside-view catalogue: questions, controls, actions.",
                            no_args_is_help=True)


class ShowFormat(StrEnum):
    json = "json"


@catalogue_app.command("check")
def check(
    lang: Annotated[list[str] | None, typer.Option(
        "--lang", help="Check only these languages (repeatable); default: all.")] = None,
) -> None:
    """Validate the catalogue files and every language's texts; exit 1 with the problems."""
    from ..assess.catalogue import catalogue_problems, load_catalogue
    from ..texts import LANGUAGES

    languages = lang or list(LANGUAGES)
    unknown = [x for x in languages if x not in LANGUAGES]
    if unknown:
        raise typer.BadParameter(f"unknown language {', '.join(unknown)}; "
                                 f"known: {', '.join(LANGUAGES)}", param_hint="--lang")
    problems = catalogue_problems(languages)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in the catalogue", err=True)
        raise typer.Exit(1)
    catalogue = load_catalogue()
    typer.echo(f"catalogue {catalogue.version}: {len(catalogue.areas)} areas, "
               f"{len(catalogue.controls)} controls, {len(catalogue.questions)} questions, "
               f"{len(catalogue.actions)} actions; texts checked in {', '.join(languages)}")


@catalogue_app.command("show")
def show(format: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.json
         ) -> None:
    """Print the whole catalogue's structure (ids, areas, options and their values)."""
    from ..assess.catalogue import load_catalogue
    from ..assess.frameworks import load_frameworks

    catalogue = load_catalogue()
    document = {
        "version": catalogue.version,
        "areas": [{"id": a.id, "weight": a.weight} for a in catalogue.areas],
        "controls": [{"id": c.id, "area": c.area, "weight": c.weight, "critical": c.critical}
                     for c in catalogue.controls],
        "questions": [{"id": q.id, "area": catalogue.area_of(q), "control": q.control,
                       "critical": catalogue.critical(q), "minutes": q.minutes,
                       "applies_if": q.applies_if,
                       "options": [{"id": o.id, "value": o.value} for o in q.options]}
                      for q in catalogue.questions],
        "frameworks": [{"id": f.id, "name": f.name,
                        "source": {"title": f.source.title, "url": f.source.url,
                                   "version": f.source.version, "retrieved": f.source.retrieved},
                        "requirements": [{"id": r.id, "group": r.group, "blocker": r.blocker,
                                          "scope": r.scope} for r in f.requirements],
                        "crosswalk": [{"requirement": k.requirement, "control": k.control,
                                       "relation": k.relation} for k in f.crosswalk],
                        "missing": list(f.missing)} for f in load_frameworks()],
        "actions": [{"id": a.id, "control": a.control, "effort_minutes": a.effort_minutes,
                     "cost_band": a.cost_band, "quick_win": a.quick_win,
                     "verify_by": {a.verify_by[0]: a.verify_by[1] or True}}
                    for a in catalogue.actions],
    }
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
