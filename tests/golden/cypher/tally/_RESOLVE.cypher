
UNWIND $keys AS k
OPTIONAL MATCH (:Identifier {key: k})-[:IDENTIFIES]->(s:Subject)
RETURN collect(DISTINCT s.key) AS subjects
