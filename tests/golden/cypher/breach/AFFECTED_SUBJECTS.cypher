
MATCH (:Breach {id: $id})-[a:AFFECTS]->(s:Subject)
RETURN s.key AS subject, a.stores AS stores, a.types AS types, a.categories AS categories
ORDER BY subject
