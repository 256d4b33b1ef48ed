
MATCH (hold:Hold)
WHERE $all OR (hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > datetime()))
OPTIONAL MATCH (hold)-[:HOLDS]->(s:Subject)
RETURN hold.id AS id, coalesce(hold.scope, 'person') AS scope, hold.target AS target,
       s.key AS subject, hold.reason AS reason, hold.stores AS stores,
       hold.categories AS categories, hold.since AS since, hold.until AS until,
       hold.released_at AS released_at, hold.placed_by AS placed_by, hold.released_by AS released_by,
       CASE WHEN hold.released_at IS NOT NULL THEN 'released'
            WHEN hold.until IS NOT NULL AND hold.until <= datetime() THEN 'ended'
            ELSE 'active' END AS status
ORDER BY since DESC, id
