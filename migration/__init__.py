"""On-premises trading source, SCT-style schema conversion and a DMS-compatible exporter for the local lake."""
