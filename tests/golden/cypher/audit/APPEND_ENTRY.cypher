
MATCH (h:AuditHead {id: $id}) WHERE h.seq = $head_seq AND h.hash = $head_hash
CREATE (e:AuditEntry {seq: $entry.seq, at: $entry.at, actor: $entry.actor, role: $entry.role,
                      kind: $entry.kind, action: $entry.action, target: $entry.target,
                      outcome: $entry.outcome, address: $entry.address,
                      prev_hash: $entry.prev_hash, hash: $entry.hash})
SET h.seq = $entry.seq, h.hash = $entry.hash
RETURN e.seq AS seq
