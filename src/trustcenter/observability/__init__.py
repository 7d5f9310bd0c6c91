"""What the running service tells its operators: structured logs with the request id
(``logs``, ``context``), traces (``tracing``), the neutral instruments the core records on
(``instruments``) and their Prometheus form (``metrics``, ``exposition``). The web layer fills
the request's context; anyone may read it."""
