
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
MATCH (h:Holding) USING INDEX h:Holding(expires_at)
WHERE h.expires_at <= $now AND h.state = 'held'
  AND (h.archive_until IS NULL OR h.archive_until <= $now)
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WITH s, h, st, 
(COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
           WHERE hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now) AND (size(hold.stores) = 0 OR st.id IN hold.stores)
             AND (size(hold.categories) = 0 OR any(c IN hold.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))
           RETURN hold.id + ' (' + hold.reason + ')' }
 + [scoped IN scoped_holds WHERE (scoped.everywhere OR scoped.store = st.id)
                                 AND (size(scoped.categories) = 0 OR any(c IN scoped.categories WHERE h.category = c OR h.category STARTS WITH c + '.')) | scoped.held_by])
 AS holds
WHERE size(holds) = 0
RETURN st.id AS store, h.retention_rule AS rule, s.key AS subject,
       max(coalesce(h.archive_until, h.expires_at)).epochMillis AS expired_at_ms
