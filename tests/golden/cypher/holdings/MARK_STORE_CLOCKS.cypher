
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.at}) AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
MERGE (s)-[c:CLOCK]->(st)
SET c.contact_event = CASE WHEN 'contact' IN row.marks AND (c.contact_at IS NULL OR at > c.contact_at OR (at = c.contact_at AND row.event_id > c.contact_event)) THEN row.event_id ELSE c.contact_event END, c.contact_at = CASE WHEN 'contact' IN row.marks AND (c.contact_at IS NULL OR at > c.contact_at OR (at = c.contact_at AND row.event_id > c.contact_event)) THEN at ELSE c.contact_at END,
    c.contract_end_event = CASE WHEN 'contract_end' IN row.marks AND (c.contract_end_at IS NULL OR at > c.contract_end_at OR (at = c.contract_end_at AND row.event_id > c.contract_end_event)) THEN row.event_id ELSE c.contract_end_event END, c.contract_end_at = CASE WHEN 'contract_end' IN row.marks AND (c.contract_end_at IS NULL OR at > c.contract_end_at OR (at = c.contract_end_at AND row.event_id > c.contract_end_event)) THEN at ELSE c.contract_end_at END,
    c.account_closure_event = CASE WHEN 'account_closure' IN row.marks AND (c.account_closure_at IS NULL OR at > c.account_closure_at OR (at = c.account_closure_at AND row.event_id > c.account_closure_event)) THEN row.event_id ELSE c.account_closure_event END, c.account_closure_at = CASE WHEN 'account_closure' IN row.marks AND (c.account_closure_at IS NULL OR at > c.account_closure_at OR (at = c.account_closure_at AND row.event_id > c.account_closure_event)) THEN at ELSE c.account_closure_at END
