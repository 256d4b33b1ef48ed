
(COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
           WHERE hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now) AND (size(hold.stores) = 0 OR st.id IN hold.stores)
             AND (size(hold.categories) = 0 OR any(c IN hold.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))
           RETURN hold.id + ' (' + hold.reason + ')' }
 + [scoped IN scoped_holds WHERE (scoped.everywhere OR scoped.store = st.id)
                                 AND (size(scoped.categories) = 0 OR any(c IN scoped.categories WHERE h.category = c OR h.category STARTS WITH c + '.')) | scoped.held_by])
