
MERGE (h:AuditHead {id: $id})
ON CREATE SET h.seq = 0, h.hash = $genesis, h.anchor_seq = 1, h.anchor_hash = $genesis, h.purged = 0
SET h.locked = true
REMOVE h.locked
RETURN h.seq AS seq, h.hash AS hash, h.anchor_seq AS anchor_seq,
       h.anchor_hash AS anchor_hash, h.purged AS purged, h.anchor_seal AS anchor_seal
