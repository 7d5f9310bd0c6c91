"""What the running service tells its operators: the neutral instruments the core records on
(``instruments``) and their Prometheus form (``metrics``, ``exposition``)."""
