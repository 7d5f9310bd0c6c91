"""trustcenter rules for the United States Stored Communications Act (18 U.S.C. 2701-2713)."""

__version__ = "0.1.0"
