
MATCH (h:Holding) USING INDEX h:Holding(state, category, subject_type)
WHERE h.state = 'held' AND h.category IS NOT NULL AND h.subject_type IS NOT NULL
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WITH st, count(DISTINCT s) AS subjects,
     collect(DISTINCT h.subject_type) AS subject_types, collect(DISTINCT h.category) AS categories
RETURN st.id AS store, subjects,
       [t IN subject_types WHERE t IS NOT NULL] AS subject_types,
       [c IN categories WHERE c IS NOT NULL] AS categories
ORDER BY store
