"""trustcenter: government data requests, reviewed, answered within limits, and reported."""

__version__ = "0.1.0"
