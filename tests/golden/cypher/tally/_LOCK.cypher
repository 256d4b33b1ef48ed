
CALL () { MATCH (s:Subject) RETURN count(s) = 0 AS empty }
MERGE (t:TallyState {id: 'tally'})
  ON CREATE SET t.initialised = empty, t.cursor = '', t.version = 0
SET t.locked = true
REMOVE t.locked
RETURN t.initialised AS initialised, t.cursor AS cursor
