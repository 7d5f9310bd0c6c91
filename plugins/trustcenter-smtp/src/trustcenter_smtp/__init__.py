"""A trustcenter notice channel that sends user notices by e-mail over SMTP."""

__version__ = "0.1.0"
