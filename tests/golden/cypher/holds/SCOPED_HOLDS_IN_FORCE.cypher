
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
