
MATCH (h:AuditHead {id: $id})
SET h.anchor_seq = $anchor_seq, h.anchor_hash = $anchor_hash, h.purged = $purged, h.anchor_seal = $seal
