"""Operating an installation: `doctor`'s checks and the retention purge."""
