
MATCH (c:ApiClient {name: $name}) WHERE c.revoked_at IS NULL
SET c.revoked_at = datetime()
RETURN c.name AS name
