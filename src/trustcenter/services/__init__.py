"""Use cases: one async function each, owning its transaction and its access check."""
