"""Reading input files (scenarios with ``extends``, sweep and calibration specs) safely, wording what is wrong with
them, and the files generated from the declarations. Imports only ``core``."""
