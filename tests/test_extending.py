"""Adding a factor or a lever takes one declaration: everything else follows from the registries.

Each test registers a new one in a fresh interpreter (the schema is built from the registries when
``simulation.core.scenario`` is first imported, so the declaration must come first, as a plug-in's would),
then checks every place it must appear. Nothing else is edited.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import ROOT


def run_python(code: str) -> None:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok"), result.stdout


def test_a_factor_registered_in_one_place_appears_everywhere() -> None:
    run_python('''
        from simulation.core import pressures

        @pressures.drain(0.05, max_weight=0.2, source="test (weight: assumption)")
        def paperwork(es, now):
            """Forms for two agencies, every week."""
            return 1.0

        from simulation import app
        from simulation.core.model import IPSModel
        from simulation.core.records import SPELL_COLUMNS, WEEKLY_COLUMNS
        from simulation.core.scenario import Scenario, json_schema
        from simulation.inputs.docs import parameter_table
        from simulation.inputs.scenarios import load_scenario

        base = load_scenario("scenarios/baseline.yaml")
        assert base.pressures.paperwork == 0.05                                # the schema
        assert "paperwork" in json_schema()["$defs"]["PressureWeights"]["properties"]
        assert "drain_paperwork" in WEEKLY_COLUMNS                             # the weekly columns
        assert "drain_share_paperwork" in SPELL_COLUMNS                        # the attribution
        assert "| `pressures.paperwork` | 0.05 |" in parameter_table()         # the docs table
        short = Scenario.model_validate({**base.model_dump(), "weeks": 60, "cohort_window_weeks": 60})
        record = IPSModel(short, 3).run()
        week = record.weekly[5]
        assert week[WEEKLY_COLUMNS.index("drain_paperwork")] > 0
        quits = [s for s in record.spells if s["outcome"] == "quit"]
        felt = [s for s in quits if s["exit_kind"] != "ordinary"]  # an ordinary exit may come before any drain
        assert felt and all(s["drain_share_paperwork"] > 0 for s in felt)
        model = app.WorkshopModel(base=short, seed=3)                          # the app's pressure chart
        for _ in range(3):
            model.step()
        figure = app.pressure_figure(model)
        assert "Paperwork" in [t.get_text() for t in figure.axes[0].get_yticklabels()]
        print("ok")
    ''')


def test_a_lever_registered_in_one_place_appears_everywhere() -> None:
    run_python('''
        from simulation.core import levers
        from simulation.core.params import param

        class Mentoring(levers.Switch):
            contact_gain: float = param(0.2, ge=0, le=1, unit="0-1 scale", description="added team contact",
                                        source="test (size: assumption)")

        @levers.lever("mentoring", Mentoring, description="a mentor from a mature IPS team", source="test",
                      moves={"team_support": +1}, in_plan=levers.ON)
        def mentoring(world, lv):
            """A mentor meets the site's ES: more team contact (test)."""
            for site in world["sites"]:
                site["team_contact"] = min(1.0, site["team_contact"] + lv.contact_gain)

        from simulation import app
        from simulation.core.model import IPSModel
        from simulation.core.scenario import Scenario, json_schema
        from simulation.inputs import docs
        from simulation.inputs.scenarios import load_scenario

        base = load_scenario("scenarios/baseline.yaml")
        assert base.start_up_plan.mentoring.enabled is False                    # the schema
        assert "mentoring" in json_schema()["$defs"]["StartUpPlan"]["properties"]
        assert "| `start_up_plan.mentoring.contact_gain` | 0.2 |" in docs.parameter_table()   # the docs tables
        assert "| `mentoring` | A mentor meets the site's ES" in docs.lever_table()
        assert "start_up_plan:\\n  mentoring:\\n    enabled: true" in docs.lever_file(levers.LEVERS[-1])
        params = app.model_params(base)                                        # the app's controls
        assert params["mentoring"]["type"] == "Checkbox" and params["mentoring"]["label"] == "Mentoring"
        model = app.WorkshopModel(base=base, seed=1, mentoring=True)           # and it acts through the world
        assert [s.team_contact for s in model.settings.sites] == [
            min(1.0, s.team_contact + 0.2) for s in base.sites]
        print("ok")
    ''')
