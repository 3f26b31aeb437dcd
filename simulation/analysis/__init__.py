"""Numbers from records: every interval, the metrics of a scenario (``Outcome``), comparisons, sensitivity,
calibration and validation patterns. Returns data: no pictures, no prose. Imports ``core``, ``inputs``, ``execution``."""
