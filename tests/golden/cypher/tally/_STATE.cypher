
UNWIND $keys AS k
OPTIONAL MATCH (s:Subject {key: k})
OPTIONAL MATCH (t:Tally {subject: k})
WITH k, s, t WHERE s IS NOT NULL OR t IS NOT NULL
CALL (s) {
  OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
  RETURN collect(DISTINCT st.id + '' + h.subject_type + '' + h.category) AS kinds
}
RETURN k AS subject, coalesce(t.kinds, []) AS counted, kinds
