
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
WITH s.key + '|' + st.id + '|' + h.category + '|' + h.state + '|' + toString(CASE WHEN h.first_seen IS NOT NULL THEN datetime({epochMillis: h.first_seen}) END)
     + '|' + toString(CASE WHEN h.last_seen IS NOT NULL THEN datetime({epochMillis: h.last_seen}) END) + '|' + h.last_event_id
     + '|' + coalesce(toString(CASE WHEN h.erased_at IS NOT NULL THEN datetime({epochMillis: h.erased_at}) END), '')
     + '|' + coalesce(toString(CASE WHEN h.consent_withdrawn_at IS NOT NULL THEN datetime({epochMillis: h.consent_withdrawn_at}) END), '')
     + '|' + coalesce(toString(h.expires_at), '')
     + '|' + toString(size(s.types)) + '|' + toString(COUNT { (s)<-[:IDENTIFIES]-() }) AS line
ORDER BY line
RETURN count(line) AS holdings, collect(line) AS lines
