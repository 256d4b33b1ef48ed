
CREATE (c:ApiClient {name: $name, role: $role, token_hash: $token_hash, created_at: datetime(),
                     expires_at: CASE WHEN $expires_at IS NULL THEN null ELSE datetime($expires_at) END})
RETURN c.name AS name
