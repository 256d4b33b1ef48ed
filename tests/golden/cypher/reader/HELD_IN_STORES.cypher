
UNWIND $stores AS sid
MATCH (st:Store {id: sid})<-[:IN_STORE]-(h:Holding {state: 'held'})
RETURN st.id AS store, h.subject_type AS subject_type, h.category AS category,
       count(h) AS subjects
ORDER BY store, subject_type, category
