MATCH (h:Holding) USING INDEX h:Holding(state, category, subject_type)
WHERE h.state = 'held' AND h.category IS NOT NULL AND h.subject_type IS NOT NULL
MATCH (h)-[:IN_STORE]->(st:Store) WHERE st.id IN $stores
RETURN st.id AS store, h.subject_type AS subject_type, h.category AS category,
       count(h) AS subjects
ORDER BY store, subject_type, category
