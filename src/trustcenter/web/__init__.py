"""The HTTP adapter: Starlette app, OAuth endpoints, authentication, limits, health."""
