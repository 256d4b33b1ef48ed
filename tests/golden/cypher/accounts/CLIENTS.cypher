
MATCH (c:ApiClient)
RETURN c.name AS name, c.role AS role, c.created_at AS created_at, c.expires_at AS expires_at,
       c.revoked_at AS revoked_at,
       CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
            WHEN c.expires_at IS NOT NULL AND c.expires_at <= datetime() THEN 'expired'
            ELSE 'active' END AS status
ORDER BY name
