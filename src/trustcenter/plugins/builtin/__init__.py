"""The core's own behaviour, written as plugins so the hooks are exercised by the core itself."""

from trustcenter.plugins.builtin import categories, datasource, jurisdiction, outbox, reasons

#: registered before any installed plugin, under these names
DEFAULT_PLUGINS = [
    ("trustcenter.jurisdiction", jurisdiction),
    ("trustcenter.categories", categories),
    ("trustcenter.datasource", datasource),
    ("trustcenter.outbox", outbox),
    ("trustcenter.reasons", reasons),
]
