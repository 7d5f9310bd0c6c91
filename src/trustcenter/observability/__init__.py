"""What an operator sees of the running service: structured logs with the request id
(``logs``, ``context``). Framework-free: the web layer fills the context, anyone may read it."""
