"""energylake: shared transform library and dataset contracts for the renewable-energy data lake."""

__version__ = "0.1.0"
