
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
RETURN st.id AS store, h.category AS category, coalesce(h.purposes, []) AS purposes,
       coalesce(h.legal_bases, []) AS legal_bases, CASE WHEN h.consent_withdrawn_at IS NOT NULL THEN datetime({epochMillis: h.consent_withdrawn_at}) END AS consent_withdrawn_at
ORDER BY store, category
