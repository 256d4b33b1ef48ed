
MATCH (w:WebSession) WHERE w.expires_at <= datetime()
DELETE w
RETURN count(*) AS ended
