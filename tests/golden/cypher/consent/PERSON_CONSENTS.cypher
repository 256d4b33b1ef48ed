
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_CONSENT]->(c:Consent)
RETURN c.purpose AS purpose, c.given_at AS given_at, c.given_event AS given_event,
       c.withdrawn_at AS withdrawn_at, c.withdrawn_event AS withdrawn_event
ORDER BY purpose
