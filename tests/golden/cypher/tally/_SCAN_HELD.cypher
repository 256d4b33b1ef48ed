
MATCH (st:Store)<-[:IN_STORE]-(h:Holding {state: 'held'})
WHERE h.subject_type IS NOT NULL AND h.category IS NOT NULL
RETURN st.id AS store, h.subject_type AS type, h.category AS category, count(h) AS n
