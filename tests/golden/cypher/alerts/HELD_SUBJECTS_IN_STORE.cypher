
UNWIND $stores AS sid
MATCH (:Store {id: sid})<-[:IN_STORE]-(h:Holding {state: 'held'})<-[:HAS_HOLDING]-(s:Subject)
WITH sid, s, max(h.last_seen) AS at
RETURN sid AS store, s.key AS subject, at,
       COLLECT { MATCH (s)-[m:MOVED]->(:Store {id: sid}) RETURN m.src } AS moved_from
