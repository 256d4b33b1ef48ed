
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.at}) AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (c:Consent {id: s.key + '|' + row.purpose})
  ON CREATE SET c.purpose = row.purpose
MERGE (s)-[:HAS_CONSENT]->(c)
SET c.changed_at = CASE WHEN (row.given AND (c.given_at IS NULL OR at > c.given_at OR (at = c.given_at AND row.event_id > c.given_event))) OR (NOT row.given AND (c.withdrawn_at IS NULL OR at > c.withdrawn_at OR (at = c.withdrawn_at AND row.event_id > c.withdrawn_event))) THEN datetime() ELSE c.changed_at END,
    c.given_event = CASE WHEN row.given AND (c.given_at IS NULL OR at > c.given_at OR (at = c.given_at AND row.event_id > c.given_event)) THEN row.event_id ELSE c.given_event END, c.given_at = CASE WHEN row.given AND (c.given_at IS NULL OR at > c.given_at OR (at = c.given_at AND row.event_id > c.given_event)) THEN at ELSE c.given_at END,
    c.withdrawn_event = CASE WHEN NOT row.given AND (c.withdrawn_at IS NULL OR at > c.withdrawn_at OR (at = c.withdrawn_at AND row.event_id > c.withdrawn_event)) THEN row.event_id ELSE c.withdrawn_event END, c.withdrawn_at = CASE WHEN NOT row.given AND (c.withdrawn_at IS NULL OR at > c.withdrawn_at OR (at = c.withdrawn_at AND row.event_id > c.withdrawn_event)) THEN at ELSE c.withdrawn_at END
