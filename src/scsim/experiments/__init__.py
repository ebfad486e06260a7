"""Experiments at scale: parameter sweeps and replications, calibration and sensitivity
analysis, evaluated on a Dask distributed cluster."""

CALIBRATION_BATCH = 8
"""Trials a calibration asks of Optuna at a time, by default (``experiments.calibrate``):
here, where the command line and the Python API read it without importing Optuna."""
