"""The domain core: pure rules with no framework, database or web imports."""
