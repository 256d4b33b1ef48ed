
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
RETURN st.id AS store, h.category AS category, coalesce(h.purposes, []) AS purposes,
       coalesce(h.legal_bases, []) AS legal_bases, h.consent_withdrawn_at AS consent_withdrawn_at
ORDER BY store, category
