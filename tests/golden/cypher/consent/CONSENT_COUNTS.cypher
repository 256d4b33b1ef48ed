
MATCH (:Subject)-[:HAS_CONSENT]->(c:Consent)
WITH c.purpose AS purpose,
     c.withdrawn_at IS NOT NULL AND (c.given_at IS NULL OR c.withdrawn_at >= c.given_at) AS withdrawn
RETURN purpose, sum(CASE WHEN withdrawn THEN 1 ELSE 0 END) AS withdrawn,
       sum(CASE WHEN withdrawn THEN 0 ELSE 1 END) AS given
ORDER BY purpose
