
MATCH (w:WebSession {actor: $actor, kind: $kind})
DELETE w
RETURN count(*) AS ended
