MATCH (h:Holding) USING INDEX h:Holding(state, category, subject_type)
WHERE h.state = 'held' AND h.category IS NOT NULL AND h.subject_type IS NOT NULL
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store) WHERE st.id IN $stores
RETURN count(DISTINCT s) AS subjects
