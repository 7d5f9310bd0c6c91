"""Disclosure packages: fetching the approved data, writing the JSON document, sealing it."""
