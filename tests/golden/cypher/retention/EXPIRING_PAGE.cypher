
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
CALL () {
  MATCH (h:Holding) USING INDEX h:Holding(expires_at)
  WHERE h.expires_at >= $from_at AND h.expires_at < $before AND h.state = 'held'
    AND NOT (h.expires_at <= $now AND coalesce(h.archive_until >= $before, false))
    AND ($category IS NULL OR h.category = $category OR h.category STARTS WITH $category + '.')
    AND ($subject_type IS NULL OR h.subject_type = $subject_type)
  WITH h ORDER BY h.expires_at, h.id SKIP $skip LIMIT $limit
  RETURN collect(h) AS page
}
WITH scoped_holds, page, CASE WHEN size(page) = $limit THEN page[-1].expires_at END AS next_at
WITH scoped_holds, page, next_at,
     size([x IN page WHERE x.expires_at = next_at])
       + CASE WHEN next_at = $from_at THEN $skip ELSE 0 END AS next_skip
CALL (page, scoped_holds) {
  UNWIND page AS h
  MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
  WHERE $store IS NULL OR st.id = $store
  WITH s, h, st, 
(COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
           WHERE hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now) AND (size(hold.stores) = 0 OR st.id IN hold.stores)
             AND (size(hold.categories) = 0 OR any(c IN hold.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))
           RETURN hold.id + ' (' + hold.reason + ')' }
 + [scoped IN scoped_holds WHERE (scoped.everywhere OR scoped.store = st.id)
                                 AND (size(scoped.categories) = 0 OR any(c IN scoped.categories WHERE h.category = c OR h.category STARTS WITH c + '.')) | scoped.held_by])
 AS holds
  WITH st.id AS store, h.category AS category, h.subject_type AS subject_type,
       h.retention_rule AS rule, size(holds) > 0 AS held, h.expires_at AS expires_at, s, holds,
       coalesce(h.expiry_action, 'delete') AS action, h.archive_until AS archive_until,
       CASE WHEN coalesce(h.archive_until, h.expires_at) <= $now THEN 'overdue'
            WHEN h.archive_until IS NULL THEN 'active'
            WHEN h.expires_at <= $now THEN 'archived'
            ELSE 'archive_due' END AS state
  WITH store, category, subject_type, rule, held, action, state, count(*) AS holdings,
       count(DISTINCT s) AS subjects, min(expires_at) AS earliest, max(expires_at) AS latest,
       min(archive_until) AS archive_until,
       sum(CASE WHEN state = 'overdue' THEN 1 ELSE 0 END) AS overdue,
       reduce(acc = [], x IN collect(holds) | acc + [r IN x WHERE NOT r IN acc]) AS held_by,
       collect(DISTINCT CASE WHEN NOT held THEN s END) AS people
  ORDER BY held, earliest, store, category, state
  WITH collect({store: store, category: category, subject_type: subject_type, rule: rule,
                held: held, action: action, state: state, holdings: holdings,
                subjects: subjects, earliest: earliest, latest: latest,
                archive_until: archive_until, overdue: overdue, held_by: held_by}) AS groups,
       collect(people) AS people
  CALL (people) {
    UNWIND people AS group_people
    UNWIND group_people AS person
    RETURN count(DISTINCT person) AS subjects
  }
  RETURN groups, subjects
}
RETURN groups, subjects, next_at, next_skip
