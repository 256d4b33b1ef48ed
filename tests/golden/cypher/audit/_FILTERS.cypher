
  AND ($actor IS NULL OR e.actor = $actor)
  AND ($action IS NULL OR e.action = $action OR e.action STARTS WITH $action + '.')
  AND ($target IS NULL OR e.target = $target)
  AND ($outcome IS NULL OR e.outcome = $outcome)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
