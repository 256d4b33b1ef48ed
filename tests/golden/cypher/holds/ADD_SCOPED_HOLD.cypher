
WITH $scope AS scope, $target AS target
WHERE scope = 'organisation'
   OR (scope = 'store' AND EXISTS { MATCH (:Store {id: target}) })
   OR (scope = 'system' AND EXISTS { MATCH (:System {id: target}) })
CREATE (hold:Hold {id: $id, scope: scope, target: target, covers: $covers, reason: $reason,
                   stores: [], categories: $categories, placed_by: $placed_by, since: datetime(),
                   until: CASE WHEN $until IS NULL THEN null ELSE datetime($until) END})
RETURN hold.id AS id, scope, null AS subject, target
