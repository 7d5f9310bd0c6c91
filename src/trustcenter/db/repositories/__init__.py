"""Queries over the tables, one module per aggregate."""
