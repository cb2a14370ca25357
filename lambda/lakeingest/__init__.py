"""Ingestion for the renewable-energy lake: Lambda handlers, telemetry producers and the local delivery step.

Each sub-package is one deployable function (packaged with ``common`` by ``lakeingest.packaging``);
``functions.json`` lists them with their handlers, dependencies and environment variables.
"""
