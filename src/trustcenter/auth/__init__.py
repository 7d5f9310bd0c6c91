"""OAuth 2.0: the authorization server (client credentials) and access-token checking."""
