RETURN h.seq AS seq, h.hash AS hash, h.anchor_seq AS anchor_seq,
       h.anchor_hash AS anchor_hash, h.purged AS purged, h.anchor_seal AS anchor_seal
