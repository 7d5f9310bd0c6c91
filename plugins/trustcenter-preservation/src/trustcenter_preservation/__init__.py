"""A request category for preservation: keep the named data, disclose nothing."""

__version__ = "0.1.0"
