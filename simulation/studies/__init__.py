"""The studies ipsim runs, one module per command family, as a small Python API for notebooks and front ends.

Each study executes (simulation.execution), writes its folder, analyses (simulation.analysis) and presents
(simulation.present), and returns what it found::

    from simulation.execution.batches import Options
    from simulation.inputs.scenarios import load_scenario
    from simulation.studies.run import run
    result = run(load_scenario("scenarios/baseline.yaml"), Options(replicates=20, seed=1, workers=2))
    result.outcome.summary["annual_turnover"]      # {'mean': ..., 'ci_low': ..., 'ci_high': ...}

- ``studies.run.run``: one scenario's replicates (``ipsim run``).
- ``studies.compare.compare``: scenarios under common random numbers (``ipsim compare``, ``ipsim levers``).
- ``studies.sweep``: a sweep spec's design and its sensitivity analysis (``ipsim sweep``, ``ipsim analyze``).
- ``studies.calibrate``: ABC calibration (``ipsim calibrate``).
- ``studies.patterns.check_patterns``: the validation patterns (``ipsim check-patterns``).
"""
