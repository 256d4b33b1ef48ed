
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
WITH s.key + '|' + st.id + '|' + h.category + '|' + h.state + '|' + toString(h.first_seen)
     + '|' + toString(h.last_seen) + '|' + h.last_event_id + '|' + coalesce(toString(h.erased_at), '')
     + '|' + coalesce(toString(h.consent_withdrawn_at), '') + '|' + coalesce(toString(h.expires_at), '')
     + '|' + toString(size(s.types)) + '|' + toString(COUNT { (s)<-[:IDENTIFIES]-() }) AS line
ORDER BY line
RETURN count(line) AS holdings, collect(line) AS lines
