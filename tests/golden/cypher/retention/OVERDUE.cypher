
MATCH (h:Holding) USING INDEX h:Holding(expires_at)
WHERE h.expires_at <= $now AND h.state = 'held'
  AND (h.archive_until IS NULL OR h.archive_until <= $now)
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WITH s, h, st, 
COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
          WHERE hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now)
            AND (size(hold.stores) = 0 OR st.id IN hold.stores)
            AND (size(hold.categories) = 0 OR any(c IN hold.categories
                                                  WHERE h.category = c OR h.category STARTS WITH c + '.'))
          RETURN hold.id + ' (' + hold.reason + ')' }
 AS holds
WHERE size(holds) = 0
RETURN st.id AS store, h.retention_rule AS rule, s.key AS subject,
       max(coalesce(h.archive_until, h.expires_at)).epochMillis AS expired_at_ms
