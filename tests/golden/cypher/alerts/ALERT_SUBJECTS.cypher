
MATCH (:Alert {id: $id})-[:CONCERNS]->(s:Subject)
RETURN s.key AS subject ORDER BY subject
