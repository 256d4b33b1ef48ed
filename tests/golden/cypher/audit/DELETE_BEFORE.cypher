
MATCH (e:AuditEntry) WHERE e.seq < $seq
DELETE e
RETURN count(*) AS deleted
