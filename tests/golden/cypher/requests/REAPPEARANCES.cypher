
MATCH (r:Request {kind: 'erasure', status: 'complete'})-[:FOR]->(s:Subject)
      -[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
WHERE h.last_seen > r.completed_at.epochMillis
   OR EXISTS { MATCH (r)-[:HAS_TASK]->(t:RequestTask {store: st.id, status: 'done'})
               WHERE h.category IN t.categories AND h.last_seen > t.closed_at.epochMillis }
RETURN r.id AS request, s.key AS subject, st.id AS store, h.category AS category,
       CASE WHEN h.last_seen IS NOT NULL THEN datetime({epochMillis: h.last_seen}) END AS last_seen, h.last_event_id AS last_event_id
ORDER BY request, store, category
