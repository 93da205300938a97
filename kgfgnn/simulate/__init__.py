"""Process-based simulation with DSSAT-CSM 4.8: inputs from real data, outputs as tables."""
