"""Vendors are held to the same standards: attestations checked before use, vendors told."""

__version__ = "0.1.0"
