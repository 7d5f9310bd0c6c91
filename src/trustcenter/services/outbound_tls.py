"""The certificates outgoing HTTPS is verified against, read once per process.

httpx reads the CA bundle (certifi's, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` for a client that
trusts the environment) again for every client it makes: some 25 ms of CPU each. The webhook
sender makes a client per receiver host and lane, the single sign-on client one per call to the
provider; they verify with the same context, made once.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def default_trust(*, trust_env: bool) -> ssl.SSLContext:
    """What ``httpx.AsyncClient(verify=True, trust_env=trust_env)`` verifies with."""
    import httpx

    return httpx.create_ssl_context(trust_env=trust_env)
