"""The charts, one module per family of folder (run, compare, sweep, calibration, patterns), sharing ``style``."""
