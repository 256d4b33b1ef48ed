
UNWIND $keys AS key
MATCH (i:Identifier {key: key}) USING INDEX i:Identifier(key)
MATCH (i)-[:IDENTIFIES]->(s:Subject)
RETURN key, s.key AS subject
