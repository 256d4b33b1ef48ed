
MATCH (c:ApiClient {token_hash: $token_hash})
WHERE c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > datetime())
RETURN c.name AS name, c.role AS role
