
MATCH (a:Alert) WHERE ($status IS NULL OR a.status = $status) AND ($kind IS NULL OR a.kind = $kind)
RETURN a.id AS id, a.kind AS kind, a.status AS status, a.severity AS severity, a.store AS store,
       a.chain AS chain, a.country AS country, a.reason AS reason,
       COUNT { (a)-[:CONCERNS]->() } AS count,
       a.first_seen AS first_seen, a.last_seen AS last_seen
ORDER BY a.last_seen DESC
