"""The reference console: server-rendered pages for staff at ``/console``.

Every piece of data a page shows and every action it takes is a named GraphQL operation kept as
a file in ``operations/`` (``Queue.graphql`` holds ``query Queue``), run in-process against the
product's own schema with the signed-in person's principal (``runner.py``) — so an in-house
frontend can do anything the console does with the same operations over ``/graphql``. A test
validates every file against ``schema.graphql``. Pages need no script: forms post back (with the
session's CSRF token) and redirect; nothing is loaded from another origin.
"""
