
UNWIND $alerts AS alert
MATCH (:Alert {id: alert.id})-[r:CONCERNS]->(s:Subject) WHERE NOT s.key IN alert.subjects
DELETE r
