"""Tests of the pull-request review tooling: the review summary and the CI workflow checks."""
