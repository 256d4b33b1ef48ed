
MERGE (a:Account {name: $name})
ON CREATE SET a.created_at = datetime(), a.source = $source
SET a.role = $role, a.changed_at = datetime(), a.disabled = false,
    a.password_hash = coalesce($password_hash, a.password_hash)
RETURN a.name AS name
