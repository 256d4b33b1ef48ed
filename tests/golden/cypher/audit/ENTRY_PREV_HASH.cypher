
MATCH (e:AuditEntry {seq: $seq})
RETURN e.prev_hash AS prev_hash
