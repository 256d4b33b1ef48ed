
MATCH (a:Account {name: $name})
SET a.disabled = true, a.changed_at = datetime()
RETURN a.name AS name
