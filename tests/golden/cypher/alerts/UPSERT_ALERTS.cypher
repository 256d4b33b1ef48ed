
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.first_at}) AS first_at,
     datetime({epochMillis: row.last_at}) AS last_at
MERGE (a:Alert {id: row.id})
  ON CREATE SET a.status = 'new', a.severity = row.severity, a.kind = row.kind,
                a.first_seen = first_at, a.last_seen = last_at, a.store = row.store,
                a.chain = row.chain, a.country = row.country
SET a.reason = row.reason, a.mechanism = row.mechanism,
    a.first_seen = CASE WHEN first_at < a.first_seen THEN first_at ELSE a.first_seen END,
    a.last_seen = CASE WHEN last_at > a.last_seen THEN last_at ELSE a.last_seen END,
    a.status = CASE WHEN a.status = 'closed' THEN 'reopened' ELSE a.status END
WITH a, row
CALL (a, row) {
  // Linking to the store locks it, as the record stage's holdings there do for the length of
  // their transaction: the early upsert leaves the link to the record stage's.
  WITH a, row WHERE row.link
  MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
  MERGE (a)-[:ON_STORE]->(st)
}
WITH a, row
CALL (a, row) {
  UNWIND CASE WHEN row.link THEN row.subjects ELSE [] END AS key
  MATCH (i:Identifier {key: key})
  // A person linked already needs nothing, and most of a batch's are: read unlocked, the link
  // found is one a merge under way moves with the person (graph.identity), never loses.
  WITH a, i WHERE NOT EXISTS { MATCH (i)-[:IDENTIFIES]->(linked:Subject) WHERE (a)-[:CONCERNS]->(linked) }
  // Write-locked before reading where it points, as the record stage's batches do
  // (LOCK_IDENTIFIERS): a merge under way in another worker holds it, so this waits and links
  // the person the merge leaves. Read unlocked, the link met the deleted loser (EntityNotFound).
  SET i.locked = true
REMOVE i.locked
  WITH a, i
  MATCH (i)-[:IDENTIFIES]->(s:Subject)
  MERGE (a)-[:CONCERNS]->(s)
}
WITH a, row, COUNT { (a)-[:CONCERNS]->() } AS linked
WITH a, linked, row, a.status IN ['new', 'reopened'] AS announce
SET a.status = CASE WHEN announce THEN 'open' ELSE a.status END
RETURN a.id AS id, a.kind AS kind, announce, a.store AS store, a.chain AS chain,
       a.country AS country,
       a.reason AS reason, a.mechanism AS mechanism, a.severity AS severity,
       CASE WHEN linked < size(row.subjects) THEN size(row.subjects) ELSE linked END AS count,
       a.first_seen AS first_seen, a.last_seen AS last_seen, a.status AS status
