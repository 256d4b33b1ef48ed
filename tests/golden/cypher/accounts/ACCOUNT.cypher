
MATCH (a:Account {name: $name})
RETURN a.name AS name, a.role AS role, a.source AS source, a.password_hash AS password_hash,
       a.disabled AS disabled, a.created_at AS created_at, a.changed_at AS changed_at
