
UNWIND $subjects AS sk
MATCH (s:Subject {key: sk})<-[:IDENTIFIES]-(i:Identifier)
WITH s, collect(i.key) AS identifiers
RETURN collect([s.key, identifiers]) AS members
