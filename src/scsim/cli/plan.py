"""The ``scsim plan`` command: the day plan of a scenario, step by step.

Registered on the main Typer app when ``scsim.cli`` imports the modules of its package."""

from __future__ import annotations

from typing import Annotated

import typer

from scsim.cli.app import SetOption, app, console, load
from scsim.cli.render import frame_table


@app.command("plan")
def plan(scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")],
         set_: SetOption = None) -> None:
    """Print the steps of one simulated day in order: the mechanism module of each, the
    scenario section it reads, its kernels and counters, and whether it is on (per epoch
    of the timeline); then what each step of the timeline sets."""
    from scsim.core.plan import scenario_plan

    sc = load(scenario, overrides=set_)
    table = scenario_plan(sc)
    for column in table.columns:  # whether each step is on (per epoch): on or off
        if table[column].dtype == bool:
            table[column] = table[column].map({True: "on", False: "off"})
    console.print(frame_table(table, title=f"{sc.name}: one day, in order"))
    if sc.timeline:  # a change inside a step (appeals within listing) shows in no column
        from scsim.scenario.reference import timeline_in_words

        console.print("What changes on which day: "
                      + timeline_in_words(sorted(sc.timeline, key=lambda s: s.day)))
