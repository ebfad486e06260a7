"""Experiments at scale: parameter sweeps and replications, calibration and sensitivity
analysis, evaluated on a Dask distributed cluster."""
