"""trustcenter rules for European Production Orders under Regulation (EU) 2023/1543."""

__version__ = "0.1.0"
