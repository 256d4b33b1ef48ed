
CALL () {
  MATCH (hold:Hold) USING INDEX hold:Hold(covers)
  WHERE hold.covers IS NOT NULL AND hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now)
  OPTIONAL MATCH (:System {id: hold.target})-[:HAS_STORE]->(system_store:Store) WHERE hold.scope = 'system'
  WITH hold, system_store
  WHERE hold.scope <> 'system' OR system_store IS NOT NULL
  RETURN collect({everywhere: hold.scope = 'organisation',
                  store: CASE hold.scope WHEN 'store' THEN hold.target ELSE system_store.id END,
                  categories: hold.categories, held_by: hold.id + ' (' + hold.reason + ')'}) AS scoped_holds
}
MATCH (r:Request {kind: 'erasure'})-[:FOR]->(s:Subject)
WHERE ($id IS NULL OR r.id = $id)
  AND (r.status = 'open'
       OR (r.status = 'complete' AND EXISTS { (r)-[:HAS_TASK]->(:RequestTask {status: 'retained'}) }))
MATCH (r)-[:HAS_TASK]->(t:RequestTask)
WHERE (r.status = 'open' AND t.status <> 'done') OR t.status = 'retained'
OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store {id: t.store})
WHERE h.category IN t.categories
WITH r, t, s, h, st, CASE WHEN h IS NULL THEN [] ELSE 
(COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
           WHERE hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now) AND (size(hold.stores) = 0 OR st.id IN hold.stores)
             AND (size(hold.categories) = 0 OR any(c IN hold.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))
           RETURN hold.id + ' (' + hold.reason + ')' }
 + [scoped IN scoped_holds WHERE (scoped.everywhere OR scoped.store = st.id)
                                 AND (size(scoped.categories) = 0 OR any(c IN scoped.categories WHERE h.category = c OR h.category STARTS WITH c + '.')) | scoped.held_by])
 END AS held_by
RETURN t.id AS task, t.status AS status, t.categories AS categories, r.zone AS zone,
       collect(CASE WHEN h IS NULL THEN null ELSE
               {category: h.category, state: h.state, erased_at: CASE WHEN h.erased_at IS NOT NULL THEN datetime({epochMillis: h.erased_at}) END,
                last_event_id: h.last_event_id, held_by: held_by,
                legal_obligation: coalesce(h.legal_obligation, false), expires_at: h.expires_at,
                retention_rule: h.retention_rule, legal_rule: h.legal_rule,
                legal_until: h.legal_until} END) AS holdings
