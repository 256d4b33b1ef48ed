RETURN e.seq AS seq, e.at AS at, e.actor AS actor, e.role AS role, e.kind AS kind,
       e.action AS action, e.target AS target, e.outcome AS outcome, e.address AS address,
       e.prev_hash AS prev_hash, e.hash AS hash
