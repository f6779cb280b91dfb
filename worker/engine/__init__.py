"""The Docker engine: the client and its faults, the start-up check, free disk, environment, reaping."""
