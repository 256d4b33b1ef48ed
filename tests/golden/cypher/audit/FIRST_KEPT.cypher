
MATCH (e:AuditEntry) WHERE e.at >= $cutoff
RETURN min(e.seq) AS seq
