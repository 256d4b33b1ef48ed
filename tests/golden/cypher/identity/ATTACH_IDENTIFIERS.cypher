
UNWIND $rows AS row
MERGE (s:Subject {key: row.winner})
  ON CREATE SET s.types = []
WITH s, row
UNWIND row.identifiers AS k
MERGE (i:Identifier {key: k})
WITH s, i
OPTIONAL MATCH (i)-[old:IDENTIFIES]->(other:Subject) WHERE other <> s
DELETE old
MERGE (i)-[:IDENTIFIES]->(s)
