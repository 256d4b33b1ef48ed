
MATCH (e:AuditEntry) WHERE ($before IS NULL OR e.seq < $before)
  AND ($actor IS NULL OR e.actor = $actor)
  AND ($action IS NULL OR e.action = $action OR e.action STARTS WITH $action + '.')
  AND ($target IS NULL OR e.target = $target)
  AND ($outcome IS NULL OR e.outcome = $outcome)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
RETURN e.seq AS seq, e.at AS at, e.actor AS actor, e.role AS role, e.kind AS kind,
       e.action AS action, e.target AS target, e.outcome AS outcome, e.address AS address,
       e.prev_hash AS prev_hash, e.hash AS hash
ORDER BY e.seq DESC
LIMIT $limit
