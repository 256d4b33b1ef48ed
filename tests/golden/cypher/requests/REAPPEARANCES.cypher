
MATCH (r:Request {kind: 'erasure', status: 'complete'})-[:FOR]->(s:Subject)
      -[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
WHERE h.last_seen > r.completed_at
   OR EXISTS { MATCH (r)-[:HAS_TASK]->(t:RequestTask {store: st.id, status: 'done'})
               WHERE h.category IN t.categories AND h.last_seen > t.closed_at }
RETURN r.id AS request, s.key AS subject, st.id AS store, h.category AS category,
       h.last_seen AS last_seen, h.last_event_id AS last_event_id
ORDER BY request, store, category
