"""Webhook endpoints' secrets at rest: sealed under the secret key, bound to their endpoint."""

from __future__ import annotations

import uuid

import pytest

from trustcenter.auth.secret_box import SecretBoxError, open_secret, seal_secret

KEY = bytes(range(32))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_sealed_secret_opens_with_its_key_and_endpoint_only() -> None:
    endpoint = uuid.uuid4()
    stored = seal_secret(KEY, endpoint, SECRET)
    assert stored.startswith("enc:v1:") and SECRET not in stored
    assert seal_secret(KEY, endpoint, SECRET) != stored  # a fresh nonce each time
    assert open_secret(KEY, endpoint, stored) == SECRET
    with pytest.raises(SecretBoxError, match="encrypted with another key"):
        open_secret(bytes(32), endpoint, stored)
    with pytest.raises(SecretBoxError, match="encrypted with another key"):
        open_secret(KEY, uuid.uuid4(), stored)  # copied onto another endpoint
    with pytest.raises(SecretBoxError, match="set TRUSTCENTER_SECRET_KEY"):
        open_secret(None, endpoint, stored)


def test_without_a_key_the_secret_is_stored_and_read_in_clear() -> None:
    endpoint = uuid.uuid4()
    assert seal_secret(None, endpoint, SECRET) == SECRET
    assert open_secret(None, endpoint, SECRET) == SECRET
    assert open_secret(KEY, endpoint, SECRET) == SECRET  # stored before the key was set
