"""Running: seeds, executors (this process, local processes, Dask) and the one loop that caps work in flight,
replicates of scenarios, sweep designs and the resumable sweep runner, run folders and manifests. Imports ``core`` and
``inputs``."""
