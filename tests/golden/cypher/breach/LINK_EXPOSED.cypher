
MATCH (b:Breach {id: $id})
UNWIND b.stores AS sid
MATCH (st:Store {id: sid})<-[:IN_STORE]-(h:Holding)
WHERE h.first_seen <= b.exposed_to.epochMillis AND NOT coalesce(h.tombstone, false)
  AND (h.state = 'held' OR h.erased_at IS NULL OR h.erased_at >= b.exposed_from.epochMillis)
MATCH (s:Subject)-[:HAS_HOLDING]->(h)
WITH b, s, collect(DISTINCT st.id) AS stores, collect(DISTINCT h.subject_type) AS types,
     collect(DISTINCT h.category) AS categories
CREATE (b)-[:AFFECTS {stores: stores, types: types, categories: categories}]->(s)
