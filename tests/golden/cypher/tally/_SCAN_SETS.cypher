
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
WHERE h.subject_type IS NOT NULL AND h.category IS NOT NULL
WITH s, collect(DISTINCT st.id) AS stores
RETURN stores, count(s) AS n
