"""Redshift warehouse: DDL from the dataset contracts, COPY + MERGE loader, stored procedures, quality gate."""
