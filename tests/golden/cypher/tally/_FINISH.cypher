
MATCH (t:TallyState {id: 'tally'})
SET t.version = t.version + 1, t.initialised = $initialised, t.cursor = $cursor
